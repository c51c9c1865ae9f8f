import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { FakeReply, RecordedRequest } from '../../test/fake-provider.js';
import { chainRows, messagesOf, onlyRow, rejectionOf, useLlmHarness, within } from '../../test/llm-harness.js';
import type { ExecuteLogStatement } from '../db/inference-log-writer.js';
import { findLog } from '../db/queries/inference-log.js';
import type { InferenceLog } from '../db/tables/inference-log.js';
import { newChainId, runInChain } from './chain-context.js';
import { AbortedError, InvalidChainIdError, LogWriteError, TaskOutputError } from './errors/index.js';
import { defineTask } from './task.js';

const echoTask = defineTask({
  name: 'echo (durability test)',
  input: z.object({ text: z.string() }),
  output: z.object({ echo: z.string() }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [
    { role: 'system', content: 'Repeat the text.' },
    { role: 'user', content: text },
  ],
});

/** A task whose output schema throws on the model's answer, as a buggy transform does. */
const throwingTask = defineTask({
  name: 'throwing transform (durability test)',
  input: z.object({ text: z.string() }),
  output: z.object({ echo: z.string() }).transform((): { echo: string } => {
    throw new Error('the transform broke');
  }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

/** A task whose output cannot be stored as JSON. */
const bigintTask = defineTask({
  name: 'bigint output (durability test)',
  input: z.object({ text: z.string() }),
  output: z.object({ echo: z.string() }).transform(({ echo }) => ({ echo, length: BigInt(echo.length) })),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
/** What PostgreSQL cannot store: NUL in text and jsonb, a lone UTF-16 surrogate in jsonb (JSON.stringify escapes it as \ud800). */
const UNSTORABLE = [
  ['the NUL character', NUL],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate', '\udfff'],
] as const;

const harness = useLlmHarness();

function createLlm(logStatements?: (execute: ExecuteLogStatement) => ExecuteLogStatement) {
  return harness.createLlm({ tasks: [echoTask, throwingTask, bigintTask], logStatements });
}

/** Log statements where every batch of pending rows fails, as when the database drops the connection meanwhile. */
function failingPendingInserts(execute: ExecuteLogStatement): ExecuteLogStatement {
  return (statement) =>
    statement.name?.startsWith('inference_log_pending')
      ? Promise.reject(new Error('connection lost'))
      : execute(statement);
}

/** A promise with its resolve function, to hold the fake's answer until the test lets it go. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Answers with the text of the last message, so the answer carries whatever the prompt carried. */
function echo(request: RecordedRequest): FakeReply {
  return { kind: 'json', value: { echo: messagesOf(request.body).at(-1)?.content ?? '' } };
}

/** Never answers, so calls stay in flight until they are aborted. */
function hangEveryRequest(): void {
  harness.fake.respondWith(() => ({ kind: 'hang' }));
}

/** The one row of the chain once it is there (ask() writes it alongside the provider call). */
function waitForOnlyRow(chainId: string): Promise<InferenceLog> {
  return vi.waitFor(async () => onlyRow(await chainRows(harness.db, chainId)), { timeout: 5_000, interval: 10 });
}

async function countAllRows(): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from inference_log`.execute(harness.db);
  return rows[0]?.count ?? -1;
}

describe('ask() keeps inference_log durable', () => {
  it('has the attempt row as pending, with its request and created_at, while the provider is still working', async () => {
    const reply = deferred<FakeReply>();
    const arrived = deferred<void>();
    harness.fake.respondWith(() => {
      arrived.resolve();
      return reply.promise;
    });
    const chainId = newChainId();
    const input = { text: 'hold the line' };

    const call = createLlm().ask(echoTask, input, { chainId });
    await within(arrived.promise, 5_000, 'the request reaching the fake');
    const pending = await waitForOnlyRow(chainId);

    expect(pending).toMatchObject({
      chain_id: chainId,
      name: echoTask.name,
      provider: 'openai',
      model: 'gpt-4.1-mini',
      status: 'pending',
      attempt: 1,
      response: null,
      output: null,
      error: null,
      latency_ms: null,
      finished_at: null,
    });
    expect(pending.request).toMatchObject({ messages: echoTask.prompt(input), requestedModel: 'openai:gpt-4.1-mini' });
    expect(pending.created_at).toBeInstanceOf(Date);

    reply.resolve({ kind: 'json', value: { echo: 'hold the line' } });
    const result = await call;

    expect(result.logId).toBe(pending.id);
    const finished = await findLog(harness.db, pending.id);
    expect(finished).toMatchObject({
      status: 'ok',
      output: { echo: 'hold the line' },
      error: null,
      request: pending.request,
    });
    expect(finished?.created_at).toEqual(pending.created_at);
    expect(finished?.finished_at).toBeInstanceOf(Date);
    expect(finished?.latency_ms).toBeGreaterThan(0);
    expect(finished?.response).toMatchObject({ object: 'chat.completion' });
    expect(await chainRows(harness.db, chainId)).toHaveLength(1);
  });

  it.each(['nope', '', '0190b6b2-7c1e-7d3a-9f00-12345678901'])(
    'refuses the explicit chainId %j with InvalidChainIdError before any provider request, writing no row',
    async (chainId) => {
      harness.fake.respondWith(echo);
      const rowsBefore = await countAllRows();

      const error = await rejectionOf(
        createLlm().ask(echoTask, { text: 'never sent' }, { chainId }),
        InvalidChainIdError,
      );

      expect(error.chainId).toBe(chainId);
      expect(harness.fake.requests).toHaveLength(0);
      expect(await countAllRows()).toBe(rowsBefore);
    },
  );

  it('makes runInChain throw InvalidChainIdError for a chain id that is not a UUID, without running the work', () => {
    const work = vi.fn((chainId: string) => chainId);

    expect(() => runInChain('nope', work)).toThrow(InvalidChainIdError);
    expect(work).not.toHaveBeenCalled();
  });

  it.each(UNSTORABLE)(
    'logs a prompt and an answer holding %s, with U+FFFD in the jsonb, and the call succeeds',
    async (_what, bad) => {
      harness.fake.respondWith(echo);
      const text = `before${bad}after`;
      const chainId = newChainId();

      const result = await createLlm().ask(echoTask, { text }, { chainId });

      // The caller gets the answer as the model gave it; only the stored copy is changed.
      expect(result.output).toEqual({ echo: text });
      const row = onlyRow(await chainRows(harness.db, chainId));
      expect(row).toMatchObject({ id: result.logId, status: 'ok', output: { echo: `before${REPLACEMENT}after` } });
      expect(messagesOf(row.request).at(-1)?.content).toBe(`before${REPLACEMENT}after`);
      // OpenAI sends the answer as JSON text: the character is an escape sequence there, which jsonb holds as it came.
      expect(row.response).toMatchObject({ choices: [{ message: { content: JSON.stringify({ echo: text }) } }] });
    },
  );

  it.each(UNSTORABLE)(
    'logs a provider body whose parsed answer holds %s, with U+FFFD in the response jsonb',
    async (_what, bad) => {
      harness.fake.respondWith(echo);
      const text = `tool${bad}input`;
      const chainId = newChainId();
      const llm = harness.createLlm({
        tasks: [echoTask],
        config: { providers: { anthropic: { type: 'anthropic', structuredOutput: 'tool' } } },
      });

      // A forced tool call: the answer arrives as parsed JSON in the response body, NUL included.
      const result = await llm.ask(echoTask, { text }, { chainId, model: 'anthropic:claude-haiku-4-5' });

      expect(result.output).toEqual({ echo: text });
      const row = onlyRow(await chainRows(harness.db, chainId));
      expect(row).toMatchObject({
        status: 'ok',
        provider: 'anthropic',
        output: { echo: `tool${REPLACEMENT}input` },
        response: { content: [{ type: 'tool_use', input: { echo: `tool${REPLACEMENT}input` } }] },
      });
    },
  );

  it.each(UNSTORABLE)(
    'logs a provider body with %s in an object key, with U+FFFD in the key, and the call succeeds',
    async (_what, bad) => {
      const chainId = newChainId();
      // The model fills the forced tool's input; a stray key is its own doing, and the output schema drops it.
      harness.fake.respondWith(() => ({ kind: 'json', value: { echo: 'fine', [`stray${bad}key`]: 1 } }));
      const llm = harness.createLlm({
        tasks: [echoTask],
        config: { providers: { anthropic: { type: 'anthropic', structuredOutput: 'tool' } } },
      });

      const result = await llm.ask(echoTask, { text: 'keys' }, { chainId, model: 'anthropic:claude-haiku-4-5' });

      expect(result.output).toEqual({ echo: 'fine' });
      const row = onlyRow(await chainRows(harness.db, chainId));
      expect(row).toMatchObject({
        status: 'ok',
        output: { echo: 'fine' },
        response: { content: [{ type: 'tool_use', input: { echo: 'fine', [`stray${REPLACEMENT}key`]: 1 } }] },
      });
    },
  );

  it('leaves an error row with code aborted, not a pending one, when the caller aborts mid-call', async () => {
    hangEveryRequest();
    const controller = new AbortController();
    const chainId = newChainId();

    const call = createLlm().ask(echoTask, { text: 'abandon me' }, { chainId, signal: controller.signal });
    const rejected = rejectionOf(call, AbortedError);
    const pending = await waitForOnlyRow(chainId);
    expect(pending.status).toBe('pending');
    await vi.waitFor(() => expect(harness.fake.requests).toHaveLength(1), { timeout: 5_000 });
    controller.abort();
    const error = await rejected;

    const row = onlyRow(await chainRows(harness.db, chainId));
    expect(row).toMatchObject({ id: pending.id, status: 'error', error: { class: 'AbortedError', code: 'aborted' } });
    expect(error.logId).toBe(row.id);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.created_at).toEqual(pending.created_at);
  });

  it('aborts every call in flight on abortAll(): each row ends as an error and drain() then resolves true', async () => {
    hangEveryRequest();
    const llm = createLlm();
    const chainIds = [newChainId(), newChainId(), newChainId()];

    const outcomes = chainIds.map((chainId) =>
      rejectionOf(llm.ask(echoTask, { text: `call in ${chainId}` }, { chainId }), AbortedError),
    );
    await vi.waitFor(() => expect(harness.fake.requests).toHaveLength(chainIds.length), { timeout: 5_000 });
    expect(llm.inFlight()).toBe(chainIds.length);
    llm.abortAll('the test is shutting down');

    expect(await llm.drain(5_000)).toBe(true);
    expect(llm.inFlight()).toBe(0);
    const errors = await Promise.all(outcomes);
    for (const [index, chainId] of chainIds.entries()) {
      const row = onlyRow(await chainRows(harness.db, chainId));
      expect(row).toMatchObject({
        id: errors[index]?.logId,
        status: 'error',
        error: { class: 'AbortedError', code: 'aborted' },
      });
      expect(row.finished_at).toBeInstanceOf(Date);
    }
  });

  it('returns with a complete row when the pending insert fails while the provider works, without an unhandled rejection', async () => {
    // Slower than the pending window, so the pending insert has failed before the answer comes.
    harness.fake.respondWith((request) => ({ ...echo(request), delayMs: 100 }) as FakeReply);
    const chainId = newChainId();

    const result = await createLlm(failingPendingInserts).ask(echoTask, { text: 'still logged' }, { chainId });

    expect(result.output).toEqual({ echo: 'still logged' });
    expect(onlyRow(await chainRows(harness.db, chainId))).toMatchObject({
      id: result.logId,
      status: 'ok',
      output: { echo: 'still logged' },
    });
  });

  it('ends the row as an error without the answer when the database refuses the finished row, and throws LogWriteError', async () => {
    // 2^31 tokens do not fit inference_log.input_tokens (integer), so only the finished row fails.
    harness.fake.respondWith(() => ({
      kind: 'json',
      value: { echo: 'too many tokens' },
      usage: { inputTokens: 2 ** 31, outputTokens: 1 },
    }));
    const chainId = newChainId();

    const error = await rejectionOf(createLlm().ask(echoTask, { text: 'count me' }, { chainId }), LogWriteError);

    const row = onlyRow(await chainRows(harness.db, chainId));
    expect(row).toMatchObject({
      id: error.logId,
      status: 'error',
      output: null,
      response: null,
      input_tokens: null,
      error: {
        class: 'LogWriteError',
        code: 'log_write_failed',
        details: { reason: expect.stringMatching(/out of range/i) },
      },
    });
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(messagesOf(row.request).at(-1)?.content).toBe('count me');
  });

  it('keeps the error of a failed attempt on LogWriteError, and in its row, when that row is refused too', async () => {
    harness.fake.respondWith(() => ({
      kind: 'refusal',
      message: 'I will not',
      usage: { inputTokens: 2 ** 31, outputTokens: 1 },
    }));
    const chainId = newChainId();

    const error = await rejectionOf(createLlm().ask(echoTask, { text: 'refuse me' }, { chainId }), LogWriteError);

    expect(error.attemptError?.code).toBe('refusal');
    expect(onlyRow(await chainRows(harness.db, chainId))).toMatchObject({
      status: 'error',
      error: { code: 'log_write_failed', details: { attemptError: { class: 'RefusalError', code: 'refusal' } } },
    });
  });

  it.each([
    [throwingTask, /the transform broke/],
    [bigintTask, /bigint/i],
  ])(
    'fails "%s" with TaskOutputError and an error row, without retrying, when its output code fails',
    async (task, reason) => {
      harness.fake.respondWith(echo);
      const chainId = newChainId();

      const error = await rejectionOf(createLlm().ask(task, { text: 'break me' }, { chainId }), TaskOutputError);

      expect(error.message).toMatch(reason);
      expect(harness.fake.requests).toHaveLength(1);
      expect(onlyRow(await chainRows(harness.db, chainId))).toMatchObject({
        id: error.logId,
        status: 'error',
        output: null,
        response: expect.objectContaining({ object: 'chat.completion' }),
        error: { class: 'TaskOutputError', code: 'task_output_failed', message: expect.stringMatching(reason) },
      });
    },
  );
});
