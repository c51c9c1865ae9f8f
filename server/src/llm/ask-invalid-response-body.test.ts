import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainRows, rejectionOf, useLlmHarness, within } from '../../test/llm-harness.js';
import { newChainId } from './chain-context.js';
import { AbortedError, InvalidResponseBodyError, ProviderError } from './errors/index.js';
import type { RetryDelay } from './retry-policy.js';
import { defineTask } from './task.js';

const verdictOutput = z.object({ verdict: z.enum(['yes', 'no']) });
const VERDICT = { verdict: 'yes' } as const;

const openaiTask = defineTask({
  name: 'verdict (openai invalid body test)',
  input: z.object({ question: z.string() }),
  output: verdictOutput,
  model: 'openai:gpt-4.1-mini',
  prompt: ({ question }) => [{ role: 'user', content: question }],
});

const anthropicTask = defineTask({
  name: 'verdict (anthropic invalid body test)',
  input: z.object({ question: z.string() }),
  output: verdictOutput,
  model: 'anthropic:claude-haiku-4-5',
  params: { maxTokens: 256 },
  prompt: ({ question }) => [{ role: 'user', content: question }],
});

const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>';
const REQUEST_ID = /^req_fake_\d+$/;

const harness = useLlmHarness();

/** A retry delay that records what it was asked to wait, and waits for nothing. */
function recordingDelay(): { delays: number[]; retryDelay: RetryDelay } {
  const delays: number[] = [];
  return { delays, retryDelay: async (delayMs) => void delays.push(delayMs) };
}

describe.each([
  { sdk: 'openai', task: openaiTask, provider: 'openai' },
  { sdk: '@anthropic-ai/sdk', task: anthropicTask, provider: 'anthropic' },
])('a 200 whose body is not JSON, through $sdk', ({ task, provider }) => {
  function llm(retryDelay?: RetryDelay) {
    return harness.createLlm({ tasks: [task], ...(retryDelay ? { retryDelay } : {}) });
  }

  it('is logged as its own error attempt with the page in `response`, and the same request is sent again', async () => {
    harness.fake.enqueue({ kind: 'raw', body: PROXY_PAGE }, { kind: 'json', value: VERDICT });
    const chainId = newChainId();

    const result = await llm().ask(task, { question: 'Is it up?' }, { chainId });

    expect(result).toMatchObject({ output: VERDICT, attempts: 2, provider });
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(rows[0]).toMatchObject({
      error: {
        class: 'InvalidResponseBodyError',
        code: 'invalid_response_body',
        providerStatus: 200,
        details: { contentType: 'text/html; charset=utf-8', bodyLength: PROXY_PAGE.length },
      },
      response: PROXY_PAGE,
      output: null,
    });
    expect(rows[0]?.provider_request_id).toMatch(REQUEST_ID);
    expect(rows[0]?.finished_at).toBeInstanceOf(Date);
    // A transport fault, not a bad answer: nothing is fed back, the request goes again as it was.
    expect(harness.fake.requests).toHaveLength(2);
    expect(harness.fake.requests[1]?.body).toEqual(harness.fake.requests[0]?.body);
  });

  it('keeps the body of a reply that claims JSON but is cut off (the SDK alone would throw a bare SyntaxError)', async () => {
    const cutOff = '{"id":"msg_01","type":"message","content":[{"type":"te';
    harness.fake.enqueue(
      { kind: 'raw', body: cutOff, contentType: 'application/json' },
      { kind: 'json', value: VERDICT },
    );
    const chainId = newChainId();

    await llm().ask(task, { question: 'Is it up?' }, { chainId });

    const [failed] = await chainRows(harness.db, chainId);
    expect(failed).toMatchObject({
      status: 'error',
      error: {
        code: 'invalid_response_body',
        providerStatus: 200,
        details: { contentType: 'application/json', bodyLength: cutOff.length },
      },
      response: cutOff,
    });
  });

  it('treats an empty 200 and JSON of another shape the same way', async () => {
    harness.fake.enqueue(
      { kind: 'raw', body: '', contentType: 'application/json' },
      { kind: 'raw', body: '{"status":"maintenance"}', contentType: 'application/json' },
      { kind: 'json', value: VERDICT },
    );
    const chainId = newChainId();

    const result = await llm().ask(task, { question: 'Is it up?' }, { chainId });

    expect(result.attempts).toBe(3);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.status, row.response])).toEqual([
      ['error', ''],
      ['error', '{"status":"maintenance"}'],
      ['ok', expect.anything()],
    ]);
  });

  it('tries maxRetries more times with the SDK backoff, then throws InvalidResponseBodyError, a ProviderError, with a row per attempt', async () => {
    harness.fake.respondWith(() => ({ kind: 'raw', body: PROXY_PAGE }));
    const { delays, retryDelay } = recordingDelay();
    const chainId = newChainId();

    const error = await rejectionOf(
      llm(retryDelay).ask(
        task,
        { question: 'Is it up?' },
        { chainId, params: { maxRetries: 2, validationRetries: 5 } },
      ),
      InvalidResponseBodyError,
    );

    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error.providerStatus).toBe(200);
    expect(harness.fake.requests).toHaveLength(3);
    // 0.5 s then 1 s, each less up to 25 % jitter, as the SDKs wait between their own retries.
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(375);
    expect(delays[0]).toBeLessThanOrEqual(500);
    expect(delays[1]).toBeGreaterThanOrEqual(750);
    expect(delays[1]).toBeLessThanOrEqual(1_000);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => [row.attempt, row.status, row.error])).toMatchObject([
      [1, 'error', { code: 'invalid_response_body' }],
      [2, 'error', { code: 'invalid_response_body' }],
      [3, 'error', { code: 'invalid_response_body' }],
    ]);
    expect(error.logId).toBe(rows[2]?.id);
  });

  it('does not retry at all with maxRetries 0', async () => {
    harness.fake.respondWith(() => ({ kind: 'raw', body: PROXY_PAGE }));
    const chainId = newChainId();

    await rejectionOf(
      llm().ask(task, { question: 'Is it up?' }, { chainId, params: { maxRetries: 0 } }),
      InvalidResponseBodyError,
    );

    expect(harness.fake.requests).toHaveLength(1);
    expect(await chainRows(harness.db, chainId)).toHaveLength(1);
  });

  it('keeps the first 2,000 characters of a long page', async () => {
    const page = `<html>${'x'.repeat(10_000)}</html>`;
    harness.fake.enqueue({ kind: 'raw', body: page }, { kind: 'json', value: VERDICT });
    const chainId = newChainId();

    await llm().ask(task, { question: 'Is it up?' }, { chainId });

    const [failed] = await chainRows(harness.db, chainId);
    expect(failed?.response).toBe(page.slice(0, 2_000));
    expect(failed?.error).toMatchObject({ details: { bodyLength: page.length } });
  });

  it('stops waiting and throws AbortedError when the caller aborts during the backoff', async () => {
    harness.fake.respondWith(() => ({ kind: 'raw', body: PROXY_PAGE }));
    const controller = new AbortController();
    let waiting: () => void = () => {};
    const backoffStarted = new Promise<void>((resolve) => (waiting = resolve));
    // The real wait, cut short by the abort: resolves only because the signal fires.
    const retryDelay: RetryDelay = (_delayMs, signal) =>
      new Promise((resolve) => {
        waiting();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    const chainId = newChainId();

    const call = llm(retryDelay).ask(
      task,
      { question: 'Is it up?' },
      { chainId, signal: controller.signal, params: { maxRetries: 3 } },
    );
    await within(backoffStarted, 5_000, 'the backoff after the first attempt');
    controller.abort();
    await rejectionOf(call, AbortedError);

    expect(harness.fake.requests).toHaveLength(1);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => row.status)).toEqual(['error']);
  });
});
