import type { ChainStatus } from '@chainlog/shared';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeReply } from '../../test/fake-provider.js';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { eventSequence, followChain } from '../../test/follow-chain.js';
import { schemaNameOf, triageReply } from '../../test/triage-replies.js';
import { chainRows, fakeProviderEnv } from '../../test/llm-harness.js';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogWriterFor } from '../db/inference-log-writer.js';
import { chainFinished } from '../chains/chain-events.js';
import { finishChain, insertChain, listChainEventsAfter } from '../db/queries/chains.js';
import { sql } from 'kysely';
import { createLlm } from '../llm/ask.js';
import { newChainId } from '../llm/chain-context.js';
import { buildLlmSettings, configFileSchema } from '../llm/settings.js';
import { type AppLlm, TASKS } from '../tasks/index.js';
import { type Context, createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';
import { OWN_CHAINS_ONLY } from '../../test/own-chains-only.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ORDER_MESSAGE = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Hi, where is my order #A-1042? It has not arrived yet.\n\nThanks,\nAda',
};

let database: DatabaseHandle;
let fake: FakeProvider;
let offline: Context;

beforeAll(async () => {
  [database, fake] = await Promise.all([openTestDatabase(), startFakeProvider()]);
  const llm = offlineLlm(database);
  offline = createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 4, ...OWN_CHAINS_ONLY }));
});
/** Contexts a test made for its own LLM: their runners stop when it ends, so no later test's chain goes to them. */
const testContexts: Context[] = [];
async function contextForTest(llm: AppLlm): Promise<Context> {
  const context = createInnerContext(
    await createAppDependencies({ database, llm, maxRunningChains: 1, ...OWN_CHAINS_ONLY }),
  );
  testContexts.push(context);
  return context;
}
afterEach(async () => {
  fake.reset();
  await Promise.all(testContexts.splice(0).map((context) => context.chains.drain(5_000)));
});
afterAll(async () => {
  await offline.chains.drain(5_000);
  await Promise.all([fake.close(), database.close()]);
});

/** Chains stored directly, oldest first, each finished with its status unless it is still running. */
async function storeChains(name: string, statuses: readonly ChainStatus[]): Promise<string[]> {
  const ids: string[] = [];
  for (const status of statuses) {
    const id = newChainId();
    await insertChain(database.db, { id, name, status: 'running', input: JSON.stringify({ for: name }) });
    if (status !== 'running')
      await finishChain(
        database.db,
        id,
        chainFinished(status, status === 'succeeded' ? null : { class: 'Error', message: status }),
      );
    ids.push(id);
  }
  return ids;
}

describe('chains.get', () => {
  it('returns the chain with its steps folded from its events, its log rows and the domain rows it created', async () => {
    const caller = createCaller(offline);
    const { chainId, messageId } = await caller.inbox.submit(ORDER_MESSAGE);
    const events = await followChain(offline, chainId);

    const detail = await caller.chains.get({ chainId });

    expect(detail.chain).toEqual({
      id: chainId,
      name: 'support-inbox triage',
      status: 'succeeded',
      input: { messageId, message: ORDER_MESSAGE },
      error: null,
      createdAt: expect.stringMatching(ISO_TIME),
      finishedAt: expect.stringMatching(ISO_TIME),
    });
    expect(detail.lastEventId).toBe(events.at(-1)?.id);
    // Its kind's plan (the page shows the steps of it not yet started while the chain runs).
    expect(detail.plannedSteps).toEqual(['intent recognition', 'entity extraction', 'reply drafting']);
    const logs = await chainRows(database.db, chainId);
    expect(detail.logs).toEqual(
      logs.map((row) => ({
        id: row.id,
        name: row.name,
        status: 'ok',
        attempt: 1,
        callId: row.id,
        // No OpenAI key here: the offline provider stands in (request.requestedModel says for which model).
        model: 'default',
        provider: 'offline',
        latencyMs: row.latency_ms,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        costUsd: row.cost_usd,
        errorClass: null,
        createdAt: row.created_at.toISOString(),
        finishedAt: row.finished_at?.toISOString(),
      })),
    );
    expect(detail.recorded).toBe(true);
    expect(detail.totals).toMatchObject({ calls: 3, attempts: 3, failedAttempts: 0 });
    expect(detail.steps).toEqual(
      ['intent recognition', 'entity extraction', 'reply drafting'].map((name, index) => ({
        step: index + 1,
        name,
        status: 'succeeded',
        output: logs[index]?.output,
        logId: logs[index]?.id,
        provider: 'offline',
        model: 'default',
        latencyMs: logs[index]?.latency_ms,
        inputTokens: logs[index]?.input_tokens,
        outputTokens: logs[index]?.output_tokens,
        costUsd: logs[index]?.cost_usd,
        error: null,
        startedAt: expect.stringMatching(ISO_TIME),
        finishedAt: expect.stringMatching(ISO_TIME),
      })),
    );
    for (const step of detail.steps) {
      expect(step.inputTokens).toBeGreaterThan(0);
      expect(step.outputTokens).toBeGreaterThan(0);
      expect(Number(step.costUsd)).toBe(0);
    }
    expect(detail.domain.messages).toEqual([
      {
        id: messageId,
        from: ORDER_MESSAGE.from,
        subject: ORDER_MESSAGE.subject,
        body: ORDER_MESSAGE.body,
        createdAt: expect.stringMatching(ISO_TIME),
      },
    ]);
    expect(detail.domain.triages).toEqual([
      {
        id: expect.any(String),
        messageId,
        intent: 'order_status',
        confidence: 0.8,
        urgency: 'normal',
        entities: detail.steps[1]?.output,
      },
    ]);
    expect(detail.domain.replyDrafts).toEqual([
      expect.objectContaining({ messageId, subject: 'Re: Where is my order?', tone: 'helpful', needsHuman: false }),
    ]);
    expect(detail.domain.replyDrafts[0]?.body).toContain('A-1042');
  });

  it('plans no steps for a chain of a kind this server does not run', async () => {
    const [chainId = ''] = await storeChains('a kind from another deployment', ['running']);

    const detail = await createCaller(offline).chains.get({ chainId });

    expect(detail).toMatchObject({ recorded: true, plannedSteps: [], steps: [] });
  });

  it('answers NOT_FOUND naming an unknown chain id', async () => {
    const chainId = newChainId();

    const request = createCaller(offline).chains.get({ chainId });

    await expect(request).rejects.toBeInstanceOf(TRPCError);
    await expect(request).rejects.toMatchObject({ code: 'NOT_FOUND', message: `no chain has id ${chainId}` });
  });

  it('answers BAD_REQUEST for an events subscription whose lastEventId does not fit in 64 bits, before any query', async () => {
    const chainId = '01a2128a-0000-7000-8000-000000000000';
    // One issue each: twenty digits are no int8 at all; nineteen may still be too many.
    for (const [lastEventId, message] of [
      ['99999999999999999999', 'an event id is a decimal integer'],
      ['9999999999999999999', 'an event id fits in 64 bits'],
    ]) {
      await expect(createCaller(offline).chains.events({ chainId, lastEventId })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        cause: { issues: [{ path: ['lastEventId'], message }] },
      });
    }
  });

  it('answers BAD_REQUEST for a chain id that is not a UUID', async () => {
    await expect(createCaller(offline).chains.get({ chainId: '42' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('chains.list', () => {
  it('lists the chains of a name newest first, a page at a time through nextCursor, without overlap', async () => {
    const name = `list test ${newChainId()}`;
    const ids = await storeChains(name, ['succeeded', 'failed', 'succeeded', 'interrupted', 'succeeded']);
    const caller = createCaller(offline);

    const pages = [await caller.chains.list({ name, limit: 2 })];
    while (pages.at(-1)?.nextCursor)
      pages.push(await caller.chains.list({ name, limit: 2, cursor: pages.at(-1)?.nextCursor }));

    const newestFirst = [...ids].reverse();
    expect(pages.map((page) => page.items.map((chain) => chain.id))).toEqual([
      newestFirst.slice(0, 2),
      newestFirst.slice(2, 4),
      newestFirst.slice(4),
    ]);
    expect(pages.map((page) => page.nextCursor)).toEqual([newestFirst[1], newestFirst[3], null]);
    expect(pages[0]?.items[0]).toEqual({
      id: newestFirst[0],
      name,
      status: 'succeeded',
      input: { for: name },
      error: null,
      createdAt: expect.stringMatching(ISO_TIME),
      finishedAt: expect.stringMatching(ISO_TIME),
      // Stored without calls: nothing to add up yet.
      recorded: true,
      calls: 0,
      attempts: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: null,
      wallMs: null,
    });
  });

  it('filters by status alone and by status and name together', async () => {
    const name = `status test ${newChainId()}`;
    const [firstOk, failed, secondOk, interrupted] = await storeChains(name, [
      'succeeded',
      'failed',
      'succeeded',
      'interrupted',
    ]);
    const caller = createCaller(offline);

    const succeeded = await caller.chains.list({ name, status: 'succeeded' });
    const allFailed = await caller.chains.list({ status: 'failed', limit: 100 });
    const ofOtherName = await caller.chains.list({ name: `${name} (other)` });

    expect(succeeded).toEqual({
      items: [expect.objectContaining({ id: secondOk }), expect.objectContaining({ id: firstOk })],
      nextCursor: null,
    });
    expect(allFailed.items.every((chain) => chain.status === 'failed')).toBe(true);
    expect(allFailed.items.map((chain) => chain.id)).toContain(failed);
    expect(allFailed.items.find((chain) => chain.id === failed)?.error).toEqual({ class: 'Error', message: 'failed' });
    expect(allFailed.items.map((chain) => chain.id)).not.toContain(interrupted);
    expect(ofOtherName).toEqual({ items: [], nextCursor: null });
  });

  it('answers BAD_REQUEST for a limit over 100, a cursor that is not a chain id or a NUL in the name', async () => {
    const caller = createCaller(offline);

    await expect(caller.chains.list({ limit: 101 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.chains.list({ cursor: 'page-2' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.chains.list({ name: 'support\u0000triage' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('a chain whose step fails', () => {
  it.each<{ what: string; reply: FakeReply; errorClass: string; message: RegExp }>([
    {
      what: 'answers HTTP 400',
      reply: { kind: 'status', status: 400, message: 'the schema is not supported' },
      errorClass: 'ProviderError',
      message: /^anthropic answered HTTP 400: .*the schema is not supported/,
    },
    {
      what: 'refuses',
      reply: { kind: 'refusal', message: 'I cannot help with that.' },
      errorClass: 'RefusalError',
      message: /^the model refused: I cannot help with that\.$/,
    },
  ])(
    'records step_failed, then marks the chain failed with the error and ends with chain_finished, when the provider $what',
    async ({ reply, errorClass, message }) => {
      // Entity extraction alone goes to the fake (as anthropic); the other tasks run offline, as openai has no key.
      const settings = buildLlmSettings(
        fakeProviderEnv(fake, { OPENAI_API_KEY: undefined, CHAINLOG_LLM_MAX_RETRIES: 0 }),
        configFileSchema.parse({ tasks: { 'entity extraction': { model: 'anthropic:claude-test' } } }),
      );
      const llm = createLlm({ db: database.db, settings, tasks: TASKS, logWriter: createLogWriterFor(database) });
      const context = await contextForTest(llm);
      fake.enqueue(reply);
      const caller = createCaller(context);

      const { chainId, messageId } = await caller.inbox.submit(ORDER_MESSAGE);
      const events = await followChain(context, chainId);

      expect(eventSequence(events)).toEqual([
        'chain_started',
        'step_started 1',
        'step_finished 1',
        'step_started 2',
        'step_failed 2',
        'chain_finished',
      ]);
      const logs = await chainRows(database.db, chainId);
      expect(logs.map((row) => [row.name, row.provider, row.status])).toEqual([
        ['intent recognition', 'offline', 'ok'],
        ['entity extraction', 'anthropic', 'error'],
      ]);
      const error = { class: errorClass, message: expect.stringMatching(message) };
      expect(events[4]?.payload).toEqual({
        type: 'step_failed',
        step: 2,
        name: 'entity extraction',
        error,
        logId: logs[1]?.id,
      });
      expect(events[5]?.payload).toEqual({ type: 'chain_finished', status: 'failed', error });
      expect(fake.requests).toEqual([
        expect.objectContaining({
          api: 'anthropic',
          path: '/v1/messages',
          body: expect.objectContaining({ model: 'claude-test' }),
        }),
      ]);

      const detail = await caller.chains.get({ chainId });
      expect(detail.chain).toMatchObject({ status: 'failed', error, finishedAt: expect.stringMatching(ISO_TIME) });
      expect(detail.steps.map((step) => [step.name, step.status, step.logId])).toEqual([
        ['intent recognition', 'succeeded', logs[0]?.id],
        ['entity extraction', 'failed', logs[1]?.id],
      ]);
      expect(detail.steps[1]?.error).toEqual(error);
      expect(detail.domain).toEqual({
        messages: [expect.objectContaining({ id: messageId })],
        triages: [],
        replyDrafts: [],
      });
      const stored = await listChainEventsAfter(database.db, chainId, null);
      // int8 reads back as a string on pg but as a number on PGlite, whatever the row type says.
      expect(stored.map((row) => String(row.id))).toEqual(events.map((event) => event.id));
    },
  );
});

describe('a chain whose model writes text PostgreSQL cannot store', () => {
  it.each([
    ['NUL', '\u0000'],
    ['a lone surrogate', '\ud800'],
  ])(
    'stores the reply draft, its log row and its events with U+FFFD in place of %s and succeeds',
    async (_what, bad) => {
      // Reply drafting alone goes to the fake (as anthropic); the other tasks run offline.
      const settings = buildLlmSettings(
        fakeProviderEnv(fake, { OPENAI_API_KEY: undefined }),
        configFileSchema.parse({ tasks: { 'reply drafting': { model: 'anthropic:claude-test' } } }),
      );
      const llm = createLlm({ db: database.db, settings, tasks: TASKS, logWriter: createLogWriterFor(database) });
      const context = await contextForTest(llm);
      fake.enqueue({
        kind: 'json',
        value: {
          subject: `Re: order${bad}`,
          body: `Hi Ada,${bad} it ships today.`,
          tone: 'helpful',
          needsHuman: false,
        },
      });
      const caller = createCaller(context);

      const { chainId } = await caller.inbox.submit(ORDER_MESSAGE);
      await followChain(context, chainId);

      const detail = await caller.chains.get({ chainId });
      expect(detail.chain.status).toBe('succeeded');
      expect(detail.domain.replyDrafts).toEqual([
        expect.objectContaining({ subject: 'Re: order\uFFFD', body: 'Hi Ada,\uFFFD it ships today.' }),
      ]);
      expect(detail.steps[2]).toMatchObject({ status: 'succeeded', output: { subject: 'Re: order\uFFFD' } });
      const replyRow = (await chainRows(database.db, chainId)).find((row) => row.name === 'reply drafting');
      expect(replyRow).toMatchObject({
        status: 'ok',
        output: { subject: 'Re: order\uFFFD', body: 'Hi Ada,\uFFFD it ships today.' },
      });
    },
  );
});

describe('chains.get, every attempt counted', () => {
  const USAGE = { inputTokens: 1_000, outputTokens: 100 };

  it('totals a chain whose step needed a validation retry over both attempts, and groups them under the step', async () => {
    const settings = buildLlmSettings(fakeProviderEnv(fake), configFileSchema.parse({}));
    const llm = createLlm({ db: database.db, settings, tasks: TASKS, logWriter: createLogWriterFor(database) });
    const context = await contextForTest(llm);
    let entityRequests = 0;
    fake.respondWith((request) => {
      // The first entity answer breaks the schema: ask() asks again, and that attempt is paid for too.
      if (schemaNameOf(request) === 'entity_extraction' && entityRequests++ === 0)
        return { kind: 'json', value: { orderNumbers: 'A-1042' }, usage: USAGE };
      const reply = triageReply(request);
      return reply.kind === 'json' ? { ...reply, usage: USAGE } : reply;
    });
    const caller = createCaller(context);

    const { chainId } = await caller.inbox.submit(ORDER_MESSAGE);
    await followChain(context, chainId);
    const detail = await caller.chains.get({ chainId });

    const summed = await sql<{
      cost: string;
      latency: number;
      input: number;
    }>`select sum(cost_usd)::text as cost, sum(latency_ms)::float8 as latency,
      sum(input_tokens)::int as input from inference_log where chain_id = ${chainId}`.execute(database.db);
    const [fromRows] = summed.rows;
    if (!fromRows) throw new Error('the sum over the chain returned no row');
    expect(detail.totals).toEqual({
      calls: 3,
      attempts: 4,
      failedAttempts: 1,
      inputTokens: 4 * USAGE.inputTokens,
      outputTokens: 4 * USAGE.outputTokens,
      costUsd: fromRows.cost,
      modelMs: expect.closeTo(fromRows.latency, 6),
      wallMs: expect.any(Number),
    });
    // gpt-4.1-mini: $0.40 and $1.60 a million tokens, four times.
    expect(detail.totals.costUsd).toBe('0.00224000');
    expect(detail.logs.map((log) => [log.name, log.attempt, log.status, log.errorClass])).toEqual([
      ['intent recognition', 1, 'ok', null],
      ['entity extraction', 1, 'error', 'OutputValidationError'],
      ['entity extraction', 2, 'ok', null],
      ['reply drafting', 1, 'ok', null],
    ]);
    expect(detail.steps[1]).toMatchObject({
      name: 'entity extraction',
      status: 'succeeded',
      logId: detail.logs[2]?.id,
    });
  });

  it('makes a chain of a chain id only the log knows: its calls are its steps, and it counts them all', async () => {
    const settings = buildLlmSettings(fakeProviderEnv(fake), configFileSchema.parse({}));
    const llm = createLlm({ db: database.db, settings, tasks: TASKS, logWriter: createLogWriterFor(database) });
    fake.respondWith((request) => {
      const reply = triageReply(request);
      return reply.kind === 'json' ? { ...reply, usage: USAGE } : reply;
    });
    fake.enqueue({ kind: 'json', value: { intent: 42 }, usage: USAGE });

    // As `npm run ask` or a user's own code calls it: no chain runner, no chain row.
    const first = await llm.ask('intent recognition', ORDER_MESSAGE);
    await llm.ask('entity extraction', ORDER_MESSAGE, { chainId: first.chainId });
    const detail = await createCaller(offline).chains.get({ chainId: first.chainId });

    expect(detail.recorded).toBe(false);
    expect(detail.plannedSteps).toEqual([]);
    expect(detail.chain).toEqual({
      id: first.chainId,
      name: 'intent recognition',
      status: 'succeeded',
      input: null,
      error: null,
      createdAt: detail.logs[0]?.createdAt,
      finishedAt: expect.stringMatching(ISO_TIME),
    });
    expect(detail.steps.map((step) => [step.step, step.name, step.status, step.logId])).toEqual([
      [1, 'intent recognition', 'succeeded', detail.logs[1]?.id],
      [2, 'entity extraction', 'succeeded', detail.logs[2]?.id],
    ]);
    expect(detail.steps[0]?.output).toMatchObject({ intent: 'order_status' });
    expect(detail.logs.map((log) => [log.attempt, log.status, log.errorClass])).toEqual([
      [1, 'error', 'OutputValidationError'],
      [2, 'ok', null],
      [1, 'ok', null],
    ]);
    expect(detail.totals).toMatchObject({ calls: 2, attempts: 3, failedAttempts: 1, costUsd: '0.00168000' });
    expect(detail.lastEventId).toBeNull();
  });
  it('shows the first 2,000 attempts of a chain of many and sums all of them in the database', async () => {
    const chainId = newChainId();
    await sql`insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, cost_usd, latency_ms, input_tokens, created_at, finished_at)
      select gen_random_uuid(), ${chainId}::uuid, 'batch item', 'openai', 'gpt-4.1-mini', case when n % 10 = 0 then 'error' else 'ok' end,
        1, '{}'::jsonb, 0.00000100, 2, 10, now() + n * interval '1 millisecond', now() + n * interval '1 millisecond' + interval '2 milliseconds'
      from generate_series(1, 2500) as n`.execute(database.db);

    const detail = await createCaller(offline).chains.get({ chainId });

    expect(detail.logs).toHaveLength(2_000);
    expect(detail.steps).toHaveLength(2_000);
    expect(detail.chain.status).toBe('failed');
    expect(detail.totals).toEqual({
      calls: 2_500,
      attempts: 2_500,
      failedAttempts: 250,
      inputTokens: 25_000,
      outputTokens: 0,
      costUsd: '0.00250000',
      modelMs: 5_000,
      wallMs: expect.closeTo(2_501, 0),
    });
  });

  it('reads the status of a chain of many from all its attempts, as chains.list does, not from the 2,000 it shows', async () => {
    const chainId = newChainId();
    await sql`insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, error, created_at, finished_at)
      select gen_random_uuid(), ${chainId}::uuid, 'batch item', 'openai', 'gpt-4.1-mini', case when n = 2050 then 'error' else 'ok' end,
        1, '{}'::jsonb, case when n = 2050 then '{"class": "ProviderError", "message": "item 2050"}'::jsonb end,
        now() + n * interval '1 millisecond', now() + n * interval '1 millisecond' + interval '2 milliseconds'
      from generate_series(1, 2100) as n`.execute(database.db);
    const caller = createCaller(offline);

    const detail = await caller.chains.get({ chainId });

    expect(detail.steps.some((step) => step.status === 'failed')).toBe(false);
    expect(detail.chain).toMatchObject({ status: 'failed', error: { class: 'ProviderError', message: 'item 2050' } });
    const listed = (await caller.chains.list({ status: 'failed', limit: 100 })).items.find(
      (item) => item.id === chainId,
    );
    expect(listed).toMatchObject({ status: 'failed', error: detail.chain.error, finishedAt: detail.chain.finishedAt });
  });

  it("times a chain with a call still pending as chains.list and chain_summary do: to the pending call's start", async () => {
    const chainId = newChainId();
    await sql`insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, created_at, finished_at)
      values
        (gen_random_uuid(), ${chainId}::uuid, 'first', 'openai', 'gpt-4.1-mini', 'ok', 1, '{}'::jsonb,
          timestamptz '2026-12-05 10:00:00Z', timestamptz '2026-12-05 10:00:01.250Z'),
        (gen_random_uuid(), ${chainId}::uuid, 'second', 'openai', 'gpt-4.1-mini', 'pending', 1, '{}'::jsonb,
          timestamptz '2026-12-05 10:00:02.5Z', null)`.execute(database.db);
    const caller = createCaller(offline);

    const detail = await caller.chains.get({ chainId });
    const listed = (await caller.chains.list({ status: 'running', limit: 100 })).items.find(
      (item) => item.id === chainId,
    );
    const { rows } = await sql<{
      wall_ms: number;
    }>`select wall_ms from chain_summary where chain_id = ${chainId}`.execute(database.db);

    expect(detail.chain.status).toBe('running');
    expect([detail.totals.wallMs, listed?.wallMs, rows[0]?.wall_ms]).toEqual([2_500, 2_500, 2_500]);
  });
});
