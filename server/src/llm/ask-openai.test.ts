import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { bodyOf, chainRows, messagesOf, onlyRow, rejectionOf, useLlmHarness, within } from '../../test/llm-harness.js';
import { findLog } from '../db/queries/inference-log.js';
import { newChainId } from './chain-context.js';
import {
  AbortedError,
  OutputValidationError,
  ProviderError,
  ProviderTimeoutError,
  RefusalError,
  RetriesExhaustedError,
  TruncationError,
} from './errors/index.js';
import { defineTask } from './task.js';

const reviewOutput = z.object({
  sentiment: z.enum(['positive', 'negative', 'neutral']),
  score: z.number().min(0).max(1),
  topics: z.array(z.string()),
});

const reviewTask = defineTask({
  name: 'review sentiment (openai test)',
  input: z.object({ review: z.string().min(1) }),
  output: reviewOutput,
  model: 'openai:gpt-4.1-mini',
  params: { maxTokens: 256 },
  prompt: ({ review }) => [
    { role: 'system', content: 'Classify the sentiment of a product review.' },
    { role: 'user', content: review },
  ],
});

const noteTask = defineTask({
  name: 'review note (openai test)',
  input: z.object({ review: z.string() }),
  output: z.object({
    summary: z.string(),
    note: z.string().optional(),
    tags: z.array(z.string()).optional(),
  }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ review }) => [{ role: 'user', content: `Summarise: ${review}` }],
});

// What OpenAI strict mode receives for reviewOutput, written out: it keeps minimum and maximum.
const REVIEW_SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    score: { type: 'number', minimum: 0, maximum: 1 },
    topics: { type: 'array', items: { type: 'string' } },
  },
  required: ['sentiment', 'score', 'topics'],
  additionalProperties: false,
};

const GOOD_REVIEW = { sentiment: 'positive', score: 0.9, topics: ['battery'] } as const;
const REQUEST_ID = /^req_fake_\d+$/;

const harness = useLlmHarness();

function llm() {
  return harness.createLlm({ tasks: [reviewTask, noteTask] });
}

describe('ask() through the OpenAI SDK', () => {
  it('returns the structured output, typed by the task output schema', async () => {
    harness.fake.enqueue({ kind: 'json', value: GOOD_REVIEW });

    const result = await llm().ask(reviewTask, { review: 'The battery lasts for days.' }, { chainId: newChainId() });

    expect(result.output).toEqual(GOOD_REVIEW);
    expectTypeOf(result.output).toEqualTypeOf<{
      sentiment: 'positive' | 'negative' | 'neutral';
      score: number;
      topics: string[];
    }>();
    expect(result).toMatchObject({ provider: 'openai', model: 'gpt-4.1-mini', attempts: 1 });
  });

  it('sends a strict json_schema response format, max_completion_tokens and the messages of the task prompt', async () => {
    harness.fake.enqueue({ kind: 'json', value: GOOD_REVIEW });
    const input = { review: 'Arrived broken.' };

    await llm().ask(reviewTask, input, { chainId: newChainId() });

    expect(harness.fake.requests).toHaveLength(1);
    const body = bodyOf(harness.fake.requests[0]);
    expect(body).toMatchObject({
      model: 'gpt-4.1-mini',
      max_completion_tokens: 256,
      messages: reviewTask.prompt(input),
    });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'review_sentiment_openai_test', strict: true, schema: REVIEW_SCHEMA },
    });
    expect(body).not.toHaveProperty('max_tokens');
  });

  it('logs one complete ok row with the request, the provider body, the output, usage, cost, latency and request id', async () => {
    harness.fake.enqueue({ kind: 'json', value: GOOD_REVIEW, usage: { inputTokens: 1_200, outputTokens: 300 } });
    const input = { review: 'Good value.' };

    const result = await llm().ask(reviewTask, input, { chainId: newChainId() });

    const row = onlyRow(await chainRows(harness.db, result.chainId));
    expect(row).toMatchObject({
      id: result.logId,
      name: 'review sentiment (openai test)',
      status: 'ok',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      attempt: 1,
      output: GOOD_REVIEW,
      error: null,
      input_tokens: 1_200,
      output_tokens: 300,
      // gpt-4.1-mini: $0.40 in, $1.60 out per million tokens: 1200 × 0.4 + 300 × 1.6 = 960 µ$.
      cost_usd: '0.00096000',
    });
    expect(result.costUsd).toBe('0.00096000');
    expect(result.usage).toEqual({ inputTokens: 1_200, outputTokens: 300 });
    expect(row.request).toMatchObject({
      messages: reviewTask.prompt(input),
      output: { schema: REVIEW_SCHEMA },
      requestedModel: 'openai:gpt-4.1-mini',
    });
    expect(row.response).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4.1-mini',
      choices: [{ message: { content: JSON.stringify(GOOD_REVIEW) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1_200, completion_tokens: 300 },
    });
    // The fake numbers a response's id and its x-request-id header alike.
    const responseNumber = z.object({ id: z.string() }).parse(row.response).id.replace('chatcmpl-fake-', '');
    expect(row.provider_request_id).toBe(`req_fake_${responseNumber}`);
    expect(row.latency_ms).toBeGreaterThan(0);
    expect(row.latency_ms).toBeCloseTo(result.latencyMs, 3);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.finished_at?.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());
  });

  it('stores cost_usd as NULL for a model without a price', async () => {
    harness.fake.enqueue({ kind: 'json', value: GOOD_REVIEW });

    const result = await llm().ask(
      reviewTask,
      { review: 'Fine.' },
      { chainId: newChainId(), model: 'openai:gpt-unpriced-test' },
    );

    expect(result.costUsd).toBeNull();
    expect(bodyOf(harness.fake.requests[0]).model).toBe('gpt-unpriced-test');
    const row = await findLog(harness.db, result.logId);
    expect(row).toMatchObject({ status: 'ok', model: 'gpt-unpriced-test', cost_usd: null });
    expect(row?.input_tokens).toBeGreaterThan(0);
  });

  it('lets the SDK retry a 429 within one attempt: one ok row, two requests received', async () => {
    harness.fake.enqueue(
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } },
      { kind: 'json', value: GOOD_REVIEW },
    );
    const chainId = newChainId();

    const result = await llm().ask(reviewTask, { review: 'Busy day.' }, { chainId });

    expect(result.output).toEqual(GOOD_REVIEW);
    expect(result.attempts).toBe(1);
    expect(harness.fake.requests).toHaveLength(2);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.status, row.attempt])).toEqual([['ok', 1]]);
  });

  it('throws ProviderError with providerStatus 500 once the SDK retries are spent, and logs an error row', async () => {
    harness.fake.respondWith(() => ({
      kind: 'status',
      status: 500,
      message: 'boom',
      headers: { 'retry-after-ms': '1' },
    }));
    const chainId = newChainId();

    const error = await rejectionOf(
      llm().ask(reviewTask, { review: 'Server trouble.' }, { chainId, params: { maxRetries: 1 } }),
      ProviderError,
    );

    expect(error.providerStatus).toBe(500);
    expect(error.providerRequestId).toMatch(REQUEST_ID);
    expect(harness.fake.requests).toHaveLength(2);
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: error.logId,
      status: 'error',
      attempt: 1,
      output: null,
      error: { class: 'ProviderError', code: 'provider_error', providerStatus: 500 },
      response: { message: 'boom' },
      provider_request_id: error.providerRequestId,
    });
    expect(rows[0]?.finished_at).toBeInstanceOf(Date);
  });

  it('throws ProviderTimeoutError when the provider does not answer within timeoutMs', async () => {
    harness.fake.enqueue({ kind: 'hang' });
    const chainId = newChainId();

    const error = await rejectionOf(
      llm().ask(reviewTask, { review: 'Silence.' }, { chainId, params: { timeoutMs: 200, maxRetries: 0 } }),
      ProviderTimeoutError,
    );

    expect(harness.fake.requests).toHaveLength(1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: error.logId,
      status: 'error',
      error: { class: 'ProviderTimeoutError', code: 'provider_timeout' },
    });
  });

  it('throws AbortedError and logs an error row when the caller aborts the call', async () => {
    const arrived = new Promise<void>((resolve) => {
      harness.fake.respondWith(() => {
        resolve();
        return { kind: 'hang' };
      });
    });
    const controller = new AbortController();
    const chainId = newChainId();

    const call = llm().ask(reviewTask, { review: 'Never mind.' }, { chainId, signal: controller.signal });
    await within(arrived, 5_000, 'the request reaching the fake');
    controller.abort();
    const error = await rejectionOf(call, AbortedError);

    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: error.logId,
      status: 'error',
      error: { class: 'AbortedError', code: 'aborted' },
    });
    expect(rows[0]?.finished_at).toBeInstanceOf(Date);
  });

  it('throws RefusalError on a refusal, logs one row and does not ask again', async () => {
    harness.fake.enqueue({ kind: 'refusal', message: 'I cannot help with that.' });
    const chainId = newChainId();

    const error = await rejectionOf(llm().ask(reviewTask, { review: 'Something sketchy.' }, { chainId }), RefusalError);

    expect(error.refusal).toBe('I cannot help with that.');
    expect(harness.fake.requests).toHaveLength(1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'error',
      output: null,
      error: { class: 'RefusalError', code: 'refusal', details: { refusal: 'I cannot help with that.' } },
    });
  });

  it('throws TruncationError when the answer is cut off by the token limit, without asking again', async () => {
    harness.fake.enqueue({ kind: 'truncated', text: '{"sentiment": "posi' });
    const chainId = newChainId();

    const error = await rejectionOf(llm().ask(reviewTask, { review: 'Long story.' }, { chainId }), TruncationError);

    expect(error.logId).toBeDefined();
    expect(harness.fake.requests).toHaveLength(1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.status, row.error])).toEqual([
      ['error', expect.objectContaining({ code: 'truncated' })],
    ]);
  });

  it('asks again with feedback after malformed JSON, logging the failed and the successful attempt', async () => {
    harness.fake.enqueue({ kind: 'text', text: '{"sentiment": positive' }, { kind: 'json', value: GOOD_REVIEW });
    const chainId = newChainId();
    const input = { review: 'Works well.' };

    const result = await llm().ask(reviewTask, input, { chainId });

    expect(result.output).toEqual(GOOD_REVIEW);
    expect(result.attempts).toBe(2);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(rows[0]?.error).toMatchObject({ class: 'InvalidJsonError', code: 'invalid_json' });
    expect(rows[1]?.id).toBe(result.logId);
    // Both attempts name the call: its first attempt.
    expect(rows.map((row) => row.call_id)).toEqual([rows[0]?.id, rows[0]?.id]);
    expect(harness.fake.requests).toHaveLength(2);
    expect(messagesOf(bodyOf(harness.fake.requests[1]))).toEqual([
      ...reviewTask.prompt(input),
      { role: 'assistant', content: '{"sentiment": positive' },
      { role: 'user', content: expect.stringContaining('it was not valid JSON') },
    ]);
    expect(messagesOf(rows[1]?.request)).toHaveLength(4);
  });

  it('asks again with the zod issues after output that fails the schema', async () => {
    const invalid = { sentiment: 'positive', score: 7, topics: [] };
    harness.fake.enqueue({ kind: 'json', value: invalid }, { kind: 'json', value: GOOD_REVIEW });
    const chainId = newChainId();
    const issue = reviewOutput.safeParse(invalid).error?.issues[0];

    const result = await llm().ask(reviewTask, { review: 'Seven out of five.' }, { chainId });

    expect(result.output).toEqual(GOOD_REVIEW);
    expect(result.attempts).toBe(2);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(rows[0]?.error).toMatchObject({ class: 'OutputValidationError', code: 'output_invalid' });
    expect(rows[0]?.output).toBeNull();
    const feedback = messagesOf(bodyOf(harness.fake.requests[1])).at(-1);
    expect(feedback?.role).toBe('user');
    expect(issue?.message).toBeTruthy();
    expect(feedback?.content).toContain(`score: ${issue?.message}`);
  });

  it('throws RetriesExhaustedError after validationRetries + 1 invalid answers, with an error row for each', async () => {
    harness.fake.respondWith(() => ({ kind: 'json', value: { sentiment: 'ecstatic', score: 0.5, topics: [] } }));
    const chainId = newChainId();
    const validationRetries = 2;

    const error = await rejectionOf(
      llm().ask(reviewTask, { review: 'Unclassifiable.' }, { chainId, params: { validationRetries } }),
      RetriesExhaustedError,
    );

    expect(error.attempts).toHaveLength(validationRetries + 1);
    expect(error.attempts.every((attempt) => OutputValidationError.isInstance(attempt))).toBe(true);
    expect(harness.fake.requests).toHaveLength(validationRetries + 1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(rows.map((row) => row.id)).toEqual(error.attempts.map((attempt) => attempt.logId));
    expect(error.logId).toBe(rows[2]?.id);
    expect(new Set(rows.map((row) => row.call_id))).toEqual(new Set([rows[0]?.id]));
  });

  it('turns the null a strict model sends for an optional field into an absent field that zod parses', async () => {
    harness.fake.enqueue({ kind: 'json', value: { summary: 'Short and sweet.', note: null, tags: null } });

    const result = await llm().ask(noteTask, { review: 'Nice.' }, { chainId: newChainId() });

    expect(result.output).toEqual({ summary: 'Short and sweet.' });
    expect(result.output).not.toHaveProperty('note');
    expect(result.output).not.toHaveProperty('tags');
    expect(noteTask.output.safeParse(result.output).success).toBe(true);
    const schema = bodyOf(harness.fake.requests[0]).response_format;
    expect(schema).toMatchObject({
      json_schema: {
        schema: { required: ['summary', 'note', 'tags'], properties: { note: { type: ['string', 'null'] } } },
      },
    });
    const row = await findLog(harness.db, result.logId);
    expect(row?.output).toEqual({ summary: 'Short and sweet.' });
  });
});
