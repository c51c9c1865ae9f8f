import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bodyOf, chainRows, messagesOf, rejectionOf, useLlmHarness } from '../../test/llm-harness.js';
import { newChainId } from './chain-context.js';
import { RefusalError, TruncationError } from './errors/index.js';
import { defineTask } from './task.js';

const SYSTEM_PROMPT = 'Extract the product and the problem from a support message.';

const issueOutput = z.object({
  product: z.string(),
  problem: z.enum(['broken', 'late', 'wrong_item', 'other']),
  serialNumber: z.string().optional(),
});

const issueTask = defineTask({
  name: 'issue extraction (anthropic test)',
  input: z.object({ message: z.string() }),
  output: issueOutput,
  model: 'anthropic:claude-haiku-4-5',
  params: { maxTokens: 512 },
  prompt: ({ message }) => [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: message },
  ],
});

// What Anthropic receives for issueOutput, written out: a closed object, every property required, the optional one
// as anyOf with null, the enum without its type (as the Anthropic SDK sends enums).
const ISSUE_SCHEMA = {
  type: 'object',
  properties: {
    product: { type: 'string' },
    problem: { enum: ['broken', 'late', 'wrong_item', 'other'] },
    serialNumber: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['product', 'problem', 'serialNumber'],
  additionalProperties: false,
};

const verdictOutput = z.object({
  confidence: z.number().min(0).max(1).describe('how sure, from 0 to 1'),
  reasons: z.array(z.string()).min(2),
});

const verdictTask = defineTask({
  name: 'verdict (anthropic test)',
  input: z.object({ claim: z.string() }),
  output: verdictOutput,
  model: 'anthropic:claude-haiku-4-5',
  prompt: ({ claim }) => [{ role: 'user', content: `How sure are you that ${claim}? Give two reasons or more.` }],
});

// Anthropic refuses minimum/maximum and minItems above 1: they travel in the description, and zod checks the answer.
const VERDICT_SCHEMA = {
  type: 'object',
  properties: {
    confidence: { type: 'number', description: 'how sure, from 0 to 1\n\n{minimum: 0, maximum: 1}' },
    reasons: { type: 'array', items: { type: 'string' }, description: '{minItems: 2}' },
  },
  required: ['confidence', 'reasons'],
  additionalProperties: false,
};
const VERDICT = { confidence: 0.8, reasons: ['the receipt', 'the photo'] };

const ISSUE = { product: 'kettle', problem: 'broken' } as const;
const REQUEST_ID = /^req_fake_\d+$/;

const harness = useLlmHarness();

describe('ask() through the Anthropic SDK, native structured output', () => {
  const llm = () => harness.createLlm({ tasks: [issueTask] });

  it('sends output_config json_schema with the system prompt in `system`, and returns the validated output', async () => {
    harness.fake.enqueue({ kind: 'json', value: { ...ISSUE, serialNumber: null } });
    const input = { message: 'My kettle stopped working.' };

    const result = await llm().ask(issueTask, input, { chainId: newChainId() });

    expect(result.output).toEqual(ISSUE);
    expect(result).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', attempts: 1 });
    expect(harness.fake.requests).toHaveLength(1);
    const request = harness.fake.requests[0];
    expect(request).toMatchObject({ api: 'anthropic', path: '/v1/messages' });
    const body = bodyOf(request);
    expect(body).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 512,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: input.message }],
    });
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: ISSUE_SCHEMA } });
    expect(messagesOf(body).some((message) => message.role === 'system')).toBe(false);
    expect(body).not.toHaveProperty('tools');
  });

  it('logs the usage, the cost and the request id of the response', async () => {
    harness.fake.enqueue({
      kind: 'json',
      value: { ...ISSUE, serialNumber: 'SN-1' },
      usage: { inputTokens: 2_000, outputTokens: 100 },
    });

    const result = await llm().ask(issueTask, { message: 'Kettle SN-1 is dead.' }, { chainId: newChainId() });

    expect(result.usage).toEqual({ inputTokens: 2_000, outputTokens: 100 });
    const rows = await chainRows(harness.db, result.chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'ok',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      input_tokens: 2_000,
      output_tokens: 100,
      // claude-haiku-4-5: $1 in, $5 out per million tokens: 2000 × 1 + 100 × 5 = 2500 µ$.
      cost_usd: '0.00250000',
      output: { ...ISSUE, serialNumber: 'SN-1' },
      response: { type: 'message', stop_reason: 'end_turn', usage: { input_tokens: 2_000, output_tokens: 100 } },
    });
    expect(rows[0]?.provider_request_id).toMatch(REQUEST_ID);
    // The fake numbers a message id and its request-id header alike.
    const messageNumber = z.object({ id: z.string() }).parse(rows[0]?.response).id.replace('msg_fake_', '');
    expect(rows[0]?.provider_request_id).toBe(`req_fake_${messageNumber}`);
  });

  it('throws RefusalError when stop_reason is refusal, without asking again', async () => {
    harness.fake.enqueue({ kind: 'refusal', message: 'I will not extract that.' });
    const chainId = newChainId();

    const error = await rejectionOf(llm().ask(issueTask, { message: 'Something else.' }, { chainId }), RefusalError);

    expect(error.refusal).toBe('I will not extract that.');
    expect(harness.fake.requests).toHaveLength(1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'error',
      error: { code: 'refusal' },
      response: { stop_reason: 'refusal' },
    });
  });

  it('throws TruncationError when stop_reason is max_tokens', async () => {
    harness.fake.enqueue({ kind: 'truncated', text: '{"product": "ket' });
    const chainId = newChainId();

    await rejectionOf(
      llm().ask(issueTask, { message: 'A long complaint.' }, { chainId, params: { maxTokens: 5 } }),
      TruncationError,
    );

    expect(bodyOf(harness.fake.requests[0]).max_tokens).toBe(5);
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'error',
      error: { code: 'truncated' },
      response: { stop_reason: 'max_tokens' },
    });
  });

  it('lets the SDK retry a 429 within one attempt: one ok row, two requests received', async () => {
    harness.fake.enqueue(
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } },
      { kind: 'json', value: ISSUE },
    );
    const chainId = newChainId();

    const result = await llm().ask(issueTask, { message: 'Rate limited kettle.' }, { chainId });

    expect(result.output).toEqual(ISSUE);
    expect(harness.fake.requests).toHaveLength(2);
    expect(harness.fake.requests.map((request) => request.api)).toEqual(['anthropic', 'anthropic']);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.status, row.attempt])).toEqual([['ok', 1]]);
  });
});

describe('ask() through the Anthropic SDK, tool mode', () => {
  const llm = () =>
    harness.createLlm({
      tasks: [issueTask],
      config: { providers: { anthropic: { type: 'anthropic', structuredOutput: 'tool' } } },
    });

  it('forces a tool whose input schema is the output schema, and reads the tool_use answer', async () => {
    harness.fake.enqueue({ kind: 'json', value: { ...ISSUE, serialNumber: null } });
    const chainId = newChainId();

    const result = await llm().ask(issueTask, { message: 'The kettle is broken.' }, { chainId });

    expect(result.output).toEqual(ISSUE);
    const body = bodyOf(harness.fake.requests[0]);
    const toolName = 'issue_extraction_anthropic_test';
    expect(body).toMatchObject({
      system: SYSTEM_PROMPT,
      tool_choice: { type: 'tool', name: toolName },
    });
    expect(body.tools).toEqual([{ name: toolName, description: 'Record the answer.', input_schema: ISSUE_SCHEMA }]);
    expect(body).not.toHaveProperty('output_config');
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'ok',
      output: ISSUE,
      response: {
        stop_reason: 'tool_use',
        content: [{ type: 'tool_use', name: toolName, input: { ...ISSUE, serialNumber: null } }],
      },
    });
  });
});

describe('ask() through the Anthropic SDK, with bounds Anthropic refuses in a schema', () => {
  const llm = (structuredOutput: 'native' | 'tool') =>
    harness.createLlm({
      tasks: [verdictTask],
      config: { providers: { anthropic: { type: 'anthropic', structuredOutput } } },
    });

  it('moves numeric bounds and minItems above 1 into the description of the native output schema', async () => {
    harness.fake.enqueue({ kind: 'json', value: VERDICT });

    const result = await llm('native').ask(verdictTask, { claim: 'the parcel was lost' }, { chainId: newChainId() });

    expect(result.output).toEqual(VERDICT);
    expect(bodyOf(harness.fake.requests[0]).output_config).toEqual({
      format: { type: 'json_schema', schema: VERDICT_SCHEMA },
    });
  });

  it('moves them into the description of the forced tool input schema too', async () => {
    harness.fake.enqueue({ kind: 'json', value: VERDICT });

    const result = await llm('tool').ask(verdictTask, { claim: 'the parcel was lost' }, { chainId: newChainId() });

    expect(result.output).toEqual(VERDICT);
    expect(bodyOf(harness.fake.requests[0]).tools).toEqual([
      { name: 'verdict_anthropic_test', description: 'Record the answer.', input_schema: VERDICT_SCHEMA },
    ]);
  });

  it('still holds the answer to those bounds with zod, asking again when the model breaks them', async () => {
    harness.fake.enqueue(
      { kind: 'json', value: { confidence: 1.5, reasons: ['a hunch'] } },
      { kind: 'json', value: VERDICT },
    );
    const chainId = newChainId();

    const result = await llm('native').ask(verdictTask, { claim: 'the parcel was lost' }, { chainId });

    expect(result.output).toEqual(VERDICT);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(rows[0]?.error).toMatchObject({ class: 'OutputValidationError', code: 'output_invalid' });
  });
});
