import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { startFakeProvider, type FakeProvider } from './fake-provider.js';

const ANSWER_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
  additionalProperties: false,
};
const Answer = z.object({ answer: z.string() });
const MESSAGES = [{ role: 'user' as const, content: 'What is six times seven?' }];
const REQUEST_ID = /^req_fake_\d+$/;

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterEach(() => {
  fake.reset();
});
afterAll(async () => {
  await fake.close();
});

function openai(options: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseUrl, ...options });
}

function anthropic(options: { maxRetries?: number } = {}): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, timeout: 10_000, ...options });
}

describe('the fake provider, called by the real OpenAI SDK', () => {
  it('returns queued JSON as the message content with usage and a request id, and records the request', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' }, usage: { inputTokens: 12, outputTokens: 3 } });
    const responseFormat = {
      type: 'json_schema' as const,
      json_schema: { name: 'answer', strict: true, schema: ANSWER_SCHEMA },
    };

    const { data, request_id } = await openai()
      .chat.completions.create({ model: 'gpt-test', messages: MESSAGES, response_format: responseFormat })
      .withResponse();

    expect(request_id).toMatch(REQUEST_ID);
    expect(data.id).toMatch(/^chatcmpl-fake-\d+$/);
    expect(data.model).toBe('gpt-test');
    expect(data.choices[0]?.message.content).toBe('{"answer":"42"}');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      api: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-test' },
      body: { model: 'gpt-test', messages: MESSAGES, response_format: responseFormat },
    });
  });

  it('derives usage from the request messages and the content when the reply gives none', async () => {
    fake.enqueue({ kind: 'text', text: 'twelve chars' });

    const completion = await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(completion.choices[0]?.message.content).toBe('twelve chars');
    expect(completion.usage).toMatchObject({
      prompt_tokens: Math.ceil(JSON.stringify(MESSAGES).length / 4),
      completion_tokens: 3,
    });
  });

  it('works with chat.completions.parse and a zod response format', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });

    const completion = await openai().chat.completions.parse({
      model: 'gpt-test',
      messages: MESSAGES,
      response_format: zodResponseFormat(Answer, 'answer'),
    });

    expect(completion.choices[0]?.message.parsed).toEqual({ answer: '42' });
  });

  it('answers 400 naming the problem, keeping the queued reply, when a strict json_schema breaks the strict rules', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });
    const schema = { ...ANSWER_SCHEMA, properties: { answer: { type: 'string', minLength: 1 } } };

    const error: unknown = await openai({ maxRetries: 0 })
      .chat.completions.create({
        model: 'gpt-test',
        messages: MESSAGES,
        response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } },
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      error: {
        type: 'invalid_request_error',
        param: 'response_format',
        message: "Invalid schema for response_format 'answer': $.answer: keyword minLength is not allowed",
      },
    });
    const completion = await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });
    expect(completion.choices[0]?.message.content).toBe('{"answer":"42"}');
  });

  it('does not check the schema of a json_schema response format that is not strict', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });
    const schema = { type: 'object', properties: { answer: { type: 'string', minLength: 1 } } };

    const completion = await openai().chat.completions.create({
      model: 'gpt-test',
      messages: MESSAGES,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: false, schema } },
    });

    expect(completion.choices[0]?.message.content).toBe('{"answer":"42"}');
  });

  it('answers a refusal with null content and the refusal message', async () => {
    fake.enqueue({ kind: 'refusal', message: 'I cannot help with that.' });

    const completion = await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(completion.choices[0]?.message).toMatchObject({ content: null, refusal: 'I cannot help with that.' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers a truncation with finish_reason length and the partial content', async () => {
    fake.enqueue({ kind: 'truncated', text: '{"answer": "4' });

    const completion = await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toBe('{"answer": "4');
  });

  it('lets the SDK retry a 429 that carries retry-after-ms, then succeeds', async () => {
    fake.enqueue(
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } },
      { kind: 'json', value: { answer: '42' } },
    );

    const completion = await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(completion.choices[0]?.message.content).toBe('{"answer":"42"}');
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces a persistent 500 as an APIError with status 500 once retries are spent', async () => {
    fake.respondWith(() => ({ kind: 'status', status: 500, message: 'boom', headers: { 'retry-after-ms': '1' } }));

    const error: unknown = await openai({ maxRetries: 1 })
      .chat.completions.create({ model: 'gpt-test', messages: MESSAGES })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 500, type: 'server_error', requestID: expect.stringMatching(REQUEST_ID) });
    expect(fake.requests).toHaveLength(2);
  });

  it('never answers a hang, so the client times out with APIConnectionTimeoutError', async () => {
    fake.enqueue({ kind: 'hang' });

    const request = openai({ timeout: 200, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
      messages: MESSAGES,
    });

    await expect(request).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('answers 400, not retried, naming the route when nothing is queued', async () => {
    const request = openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    await expect(request).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('fake provider: no reply queued for openai /v1/chat/completions'),
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('answers an unknown route with 404 in the OpenAI error shape', async () => {
    await expect(openai().models.list()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(fake.requests[0]).toMatchObject({ api: 'openai', method: 'GET', path: '/v1/models' });
  });

  it('asks the responder when the queue is empty, after the queue is used up', async () => {
    fake.respondWith((request) => ({ kind: 'json', value: { path: request.path } }));
    fake.enqueue({ kind: 'text', text: 'queued first' });
    const client = openai();

    const first = await client.chat.completions.create({ model: 'gpt-test', messages: MESSAGES });
    const second = await client.chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(first.choices[0]?.message.content).toBe('queued first');
    expect(second.choices[0]?.message.content).toBe('{"path":"/v1/chat/completions"}');
  });

  it('waits delayMs before answering', async () => {
    fake.enqueue({ kind: 'text', text: 'late', delayMs: 50 });
    const startedAt = performance.now();

    await openai().chat.completions.create({ model: 'gpt-test', messages: MESSAGES });

    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45);
  });

  it('answers 32 concurrent requests with distinct ids', async () => {
    fake.respondWith(() => ({ kind: 'json', value: { answer: '42' } }));
    const client = openai();

    const completions = await Promise.all(
      Array.from({ length: 32 }, () => client.chat.completions.create({ model: 'gpt-test', messages: MESSAGES })),
    );

    expect(new Set(completions.map((completion) => completion.id)).size).toBe(32);
    expect(fake.requests).toHaveLength(32);
  });
});

describe('the fake provider, called by the real Anthropic SDK', () => {
  it('answers output_config json_schema with a text block of JSON, usage and a request id', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' }, usage: { inputTokens: 20, outputTokens: 4 } });
    const outputConfig = { format: { type: 'json_schema' as const, schema: ANSWER_SCHEMA } };

    const { data, request_id } = await anthropic()
      .messages.create({ model: 'claude-test', max_tokens: 1024, messages: MESSAGES, output_config: outputConfig })
      .withResponse();

    expect(request_id).toMatch(REQUEST_ID);
    expect(data.id).toMatch(/^msg_fake_\d+$/);
    expect(data.model).toBe('claude-test');
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content).toEqual([{ type: 'text', text: '{"answer":"42"}', citations: null }]);
    expect(data.usage).toMatchObject({ input_tokens: 20, output_tokens: 4, cache_read_input_tokens: 0 });
    expect(fake.requests[0]).toMatchObject({
      api: 'anthropic',
      method: 'POST',
      path: '/v1/messages',
      // SDK 1.14 sends apiKey as a bearer token, not as x-api-key.
      headers: { authorization: 'Bearer sk-ant-test' },
      body: { model: 'claude-test', max_tokens: 1024, messages: MESSAGES, output_config: outputConfig },
    });
  });

  it('works with messages.parse and a zod output format', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });

    const message = await anthropic().messages.parse({
      model: 'claude-test',
      max_tokens: 1024,
      messages: MESSAGES,
      output_config: { format: zodOutputFormat(Answer) },
    });

    expect(message.parsed_output).toEqual({ answer: '42' });
  });

  it('answers a forced tool with a tool_use block whose input is the value', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });

    const message = await anthropic().messages.create({
      model: 'claude-test',
      max_tokens: 1024,
      messages: MESSAGES,
      tools: [{ name: 'record_answer', input_schema: { ...ANSWER_SCHEMA, type: 'object' } }],
      tool_choice: { type: 'tool', name: 'record_answer' },
    });

    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'record_answer', input: { answer: '42' } });
  });

  it('answers 400 in the Anthropic error shape when the output_config schema has a keyword Anthropic refuses', async () => {
    fake.enqueue({ kind: 'json', value: { answer: '42' } });
    const schema = { ...ANSWER_SCHEMA, properties: { answer: { type: 'integer', minimum: 0 } } };

    const error: unknown = await anthropic({ maxRetries: 0 })
      .messages.create({
        model: 'claude-test',
        max_tokens: 1024,
        messages: MESSAGES,
        output_config: { format: { type: 'json_schema', schema } },
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      apiMessage: "output_config.format.schema: $.answer: for 'integer' type, property 'minimum' is not supported",
    });
    expect(fake.requests).toHaveLength(1);
  });

  it("answers 400 when the forced tool's input schema breaks the Anthropic rules, naming the tool's index", async () => {
    const schema = {
      ...ANSWER_SCHEMA,
      properties: { answer: { type: 'array', items: { type: 'string' }, minItems: 2 } },
    };

    const error: unknown = await anthropic({ maxRetries: 0 })
      .messages.create({
        model: 'claude-test',
        max_tokens: 1024,
        messages: MESSAGES,
        tools: [{ name: 'record_answer', input_schema: { ...schema, type: 'object' } }],
        tool_choice: { type: 'tool', name: 'record_answer' },
      })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      status: 400,
      apiMessage: 'tools.0.custom.input_schema: $.answer: minItems 2 is not supported (only 0 or 1)',
    });
  });

  it('answers a refusal with stop_reason refusal and the message as text', async () => {
    fake.enqueue({ kind: 'refusal', message: 'I cannot help with that.' });

    const message = await anthropic().messages.create({ model: 'claude-test', max_tokens: 1024, messages: MESSAGES });

    expect(message.stop_reason).toBe('refusal');
    expect(message.content).toEqual([{ type: 'text', text: 'I cannot help with that.', citations: null }]);
  });

  it('answers a truncation with stop_reason max_tokens and the partial text', async () => {
    fake.enqueue({ kind: 'truncated', text: '{"answer": "4' });

    const message = await anthropic().messages.create({ model: 'claude-test', max_tokens: 1024, messages: MESSAGES });

    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content).toEqual([{ type: 'text', text: '{"answer": "4', citations: null }]);
  });

  it('lets the SDK retry a 429 that carries retry-after-ms, then succeeds with a request id', async () => {
    fake.enqueue({ kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } }, { kind: 'text', text: 'hello' });

    const { data, request_id } = await anthropic()
      .messages.create({ model: 'claude-test', max_tokens: 1024, messages: MESSAGES })
      .withResponse();

    expect(data.content).toEqual([{ type: 'text', text: 'hello', citations: null }]);
    expect(request_id).toMatch(REQUEST_ID);
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces an error status in the Anthropic error shape with its request id', async () => {
    fake.enqueue({ kind: 'status', status: 403, message: 'not for you' });

    const error: unknown = await anthropic()
      .messages.create({ model: 'claude-test', max_tokens: 1024, messages: MESSAGES })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error).toMatchObject({
      status: 403,
      type: 'permission_error',
      apiMessage: 'not for you',
      requestID: expect.stringMatching(REQUEST_ID),
    });
  });

  it('accepts an x-api-key header as well as a bearer token', async () => {
    fake.enqueue({ kind: 'text', text: 'hello' });

    const response = await fetch(`${fake.anthropicBaseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-test', max_tokens: 16, messages: MESSAGES }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toMatch(REQUEST_ID);
    expect(fake.requests[0]?.headers['x-api-key']).toBe('sk-ant-test');
  });
});

describe('closing the fake provider', () => {
  it('destroys a hanging connection and resolves', async () => {
    const own = await startFakeProvider({ respond: () => ({ kind: 'hang' }) });
    const request = fetch(`${own.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: MESSAGES }),
    });
    await vi.waitFor(() => expect(own.requests).toHaveLength(1), { timeout: 2_000 });

    await own.close();

    await expect(request).rejects.toThrow();
  });
});
