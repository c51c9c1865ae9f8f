import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import type { InferenceStatus } from '../db/tables/inference-log.js';
import type { AskResult } from '../llm/ask.js';
import { newChainId } from '../llm/chain-context.js';
import type { AppLlm } from '../tasks/index.js';
import { type Context, createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';

let database: DatabaseHandle;
let llm: AppLlm;
let context: Context;

beforeAll(async () => {
  database = await openTestDatabase();
  llm = offlineLlm(database);
  context = createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1 }));
});
afterAll(() => database.close());

interface StoredLog {
  chainId: string;
  name: string;
  provider: string;
  model: string;
  status: InferenceStatus;
  at: Date;
  errorMessage?: string;
  attempt?: number;
}

/** An inference_log row as ask() would leave it; its id is a UUID v7 of `at`, so id order is time order. */
async function storeLog(log: StoredLog): Promise<string> {
  const id = uuidv7({ msecs: log.at.getTime() });
  const finished = log.status !== 'pending';
  await database.db
    .insertInto('inference_log')
    .values({
      id,
      chain_id: log.chainId,
      name: log.name,
      provider: log.provider,
      model: log.model,
      status: log.status,
      attempt: log.attempt ?? 1,
      request: JSON.stringify({ messages: [{ role: 'user', content: `a call of ${log.name}` }] }),
      response: log.status === 'ok' ? JSON.stringify({ id: 'response' }) : null,
      output: log.status === 'ok' ? JSON.stringify({ answer: 42 }) : null,
      error:
        log.errorMessage === undefined
          ? null
          : JSON.stringify({
              class: 'ProviderError',
              code: 'provider_error',
              message: log.errorMessage,
              providerStatus: 500,
            }),
      input_tokens: finished ? 12 : null,
      output_tokens: log.status === 'ok' ? 3 : null,
      cost_usd: log.status === 'ok' ? '0.000012' : null,
      latency_ms: finished ? 250 : null,
      provider_request_id: finished ? `req_${id}` : null,
      created_at: log.at,
      finished_at: finished ? new Date(log.at.getTime() + 250) : null,
    })
    .execute();
  return id;
}

/** `count` rows of one new chain, one second apart from `start`, oldest first. */
async function storeChainLogs(
  count: number,
  start = new Date('2026-03-01T09:00:00.000Z'),
): Promise<{ chainId: string; ids: string[] }> {
  const chainId = newChainId();
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const at = new Date(start.getTime() + index * 1_000);
    ids.push(
      await storeLog({
        chainId,
        name: 'intent recognition',
        provider: 'openai',
        model: 'gpt-4.1-mini',
        status: 'ok',
        at,
      }),
    );
  }
  return { chainId, ids };
}

const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

describe('logs.list', () => {
  it('filters by name, model, provider, status and chain id, alone and together, newest first', async () => {
    const tag = uuidv7();
    const chainId = newChainId();
    const at = (second: number) => new Date(Date.UTC(2026, 2, 2, 10, 0, second));
    const [intentA, intentB, replyPending, replyOk] = [
      await storeLog({
        chainId,
        name: `intent ${tag}`,
        provider: `alpha-${tag}`,
        model: `model-a-${tag}`,
        status: 'ok',
        at: at(1),
      }),
      await storeLog({
        chainId,
        name: `intent ${tag}`,
        provider: `beta-${tag}`,
        model: `model-b-${tag}`,
        status: 'error',
        at: at(2),
        errorMessage: 'upstream is down',
      }),
      await storeLog({
        chainId,
        name: `reply ${tag}`,
        provider: `alpha-${tag}`,
        model: `model-b-${tag}`,
        status: 'pending',
        at: at(3),
      }),
      await storeLog({
        chainId,
        name: `reply ${tag}`,
        provider: `beta-${tag}`,
        model: `model-a-${tag}`,
        status: 'ok',
        at: at(4),
      }),
    ];
    const caller = createCaller(context);

    expect(ids(await caller.logs.list({ name: `intent ${tag}` }))).toEqual([intentB, intentA]);
    expect(ids(await caller.logs.list({ model: `model-a-${tag}` }))).toEqual([replyOk, intentA]);
    expect(ids(await caller.logs.list({ provider: `beta-${tag}` }))).toEqual([replyOk, intentB]);
    expect(ids(await caller.logs.list({ chainId }))).toEqual([replyOk, replyPending, intentB, intentA]);
    expect(ids(await caller.logs.list({ chainId, status: 'ok' }))).toEqual([replyOk, intentA]);
    expect(ids(await caller.logs.list({ chainId, status: 'pending' }))).toEqual([replyPending]);
    expect(
      ids(await caller.logs.list({ name: `reply ${tag}`, provider: `alpha-${tag}`, model: `model-b-${tag}` })),
    ).toEqual([replyPending]);
    expect(await caller.logs.list({ name: `intent ${tag}`, status: 'pending' })).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(await caller.logs.list({ chainId: newChainId() })).toEqual({ items: [], nextCursor: null });

    const failed = await caller.logs.list({ chainId, status: 'error' });
    expect(failed).toEqual({
      items: [
        {
          id: intentB,
          chainId,
          name: `intent ${tag}`,
          provider: `beta-${tag}`,
          model: `model-b-${tag}`,
          status: 'error',
          attempt: 1,
          callId: intentB,
          inputTokens: 12,
          outputTokens: null,
          costUsd: null,
          latencyMs: 250,
          errorClass: 'ProviderError',
          errorMessage: 'upstream is down',
          createdAt: at(2).toISOString(),
          finishedAt: new Date(at(2).getTime() + 250).toISOString(),
        },
      ],
      nextCursor: null,
    });
  });

  it('filters by time: from is inclusive, to is exclusive, and an offset other than Z names the same instant', async () => {
    const start = new Date('2026-03-03T12:00:00.000Z');
    const {
      chainId,
      ids: [first, second, third, fourth],
    } = await storeChainLogs(4, start);
    const caller = createCaller(context);

    expect(
      ids(await caller.logs.list({ chainId, from: '2026-03-03T12:00:01.000Z', to: '2026-03-03T12:00:03.000Z' })),
    ).toEqual([third, second]);
    expect(ids(await caller.logs.list({ chainId, from: '2026-03-03T14:00:02+02:00' }))).toEqual([fourth, third]);
    expect(ids(await caller.logs.list({ chainId, to: '2026-03-03T12:00:01Z' }))).toEqual([first]);
    expect(ids(await caller.logs.list({ chainId, from: '2026-03-03T12:00:04Z' }))).toEqual([]);
  });

  it('compares times to the microsecond, as the exports write them, so a bound taken from one joins back', async () => {
    const {
      chainId,
      ids: [row],
    } = await storeChainLogs(1, new Date('2026-03-04T12:00:00.877Z'));
    await sql`update inference_log set created_at = '2026-03-04T12:00:00.877643Z' where id = ${row}`.execute(
      database.db,
    );
    const caller = createCaller(context);

    expect(ids(await caller.logs.list({ chainId, from: '2026-03-04T12:00:00.877643Z' }))).toEqual([row]);
    expect(ids(await caller.logs.list({ chainId, from: '2026-03-04T12:00:00.877644Z' }))).toEqual([]);
    expect(ids(await caller.logs.list({ chainId, to: '2026-03-04T12:00:00.877644Z' }))).toEqual([row]);
    expect(ids(await caller.logs.list({ chainId, to: '2026-03-04T12:00:00.877643Z' }))).toEqual([]);
    expect(await caller.logs.count({ chainId, from: '2026-03-04T12:00:00.877644Z' })).toMatchObject({ count: 0 });
    // zod takes a fraction of any length; PostgreSQL reads microseconds, and no date-time of 150 characters.
    const long = `2026-03-04T12:00:00.877643${'9'.repeat(150)}Z`;
    expect(ids(await caller.logs.list({ chainId, from: long, to: long }))).toEqual([]);
    expect(ids(await caller.logs.list({ chainId, to: `2026-03-04T12:00:00.877644${'9'.repeat(150)}Z` }))).toEqual([
      row,
    ]);
  });

  it('pages by keyset newest first and oldest first, each row exactly once', async () => {
    const { chainId, ids: oldestFirst } = await storeChainLogs(5);
    const caller = createCaller(context);
    const pagesOf = async (order: 'asc' | 'desc') => {
      const pages = [await caller.logs.list({ chainId, order, limit: 2 })];
      while (pages.at(-1)?.nextCursor)
        pages.push(await caller.logs.list({ chainId, order, limit: 2, cursor: pages.at(-1)?.nextCursor }));
      return pages;
    };

    const newest = await pagesOf('desc');
    const oldest = await pagesOf('asc');

    const newestFirst = [...oldestFirst].reverse();
    expect(newest.map(ids)).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
    expect(newest.map((page) => page.nextCursor)).toEqual([newestFirst[1], newestFirst[3], null]);
    expect(oldest.map(ids)).toEqual([oldestFirst.slice(0, 2), oldestFirst.slice(2, 4), oldestFirst.slice(4)]);
    expect(oldest.map((page) => page.nextCursor)).toEqual([oldestFirst[1], oldestFirst[3], null]);
  });

  it('names one problem of a value: a date-time that is none is not also said to be out of range', async () => {
    const error: unknown = await createCaller(context)
      .logs.list({ from: '2026-13-01T00:00:00Z' })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'BAD_REQUEST', cause: { issues: [{ path: ['from'] }] } });
    expect((error as { cause: { issues: unknown[] } }).cause.issues).toHaveLength(1);
  });

  it('answers BAD_REQUEST, with the zod error as cause, for a date without time, an unknown chain id format, a limit over 200, a NUL in a filter or a filter too long', async () => {
    const caller = createCaller(context);
    // PostgreSQL text cannot hold NUL: in a query it would fail as an internal error.
    const withNul = 'gpt\u0000mini';

    for (const input of [
      { from: '2026-03-03' },
      { to: 'yesterday' },
      { chainId: 'chain-1' },
      { cursor: 'page-2' },
      { limit: 201 },
      { limit: 0 },
      { name: withNul },
      { model: withNul },
      { provider: withNul },
      // Over FILTER_TEXT_MAX_LENGTH: long enough to make a GET too long for the server to read.
      { name: 'x'.repeat(17_000) },
      { model: 'x'.repeat(201) },
    ]) {
      const error: unknown = await caller.logs.list(input).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(input)).toBeInstanceOf(TRPCError);
      expect(error, JSON.stringify(input)).toMatchObject({ code: 'BAD_REQUEST' });
    }
  });

  it("names each attempt's call and error class in the list as chains.get does, a retry's call its first attempt's", async () => {
    const chainId = newChainId();
    const call = { chainId, name: 'entity extraction', provider: 'openai', model: 'gpt-4.1-mini' };
    const first = await storeLog({
      ...call,
      status: 'error',
      at: new Date('2026-03-06T08:00:00.000Z'),
      errorMessage: 'openai answered HTTP 500',
    });
    const retry = await storeLog({ ...call, status: 'ok', at: new Date('2026-03-06T08:00:01.000Z'), attempt: 2 });

    const page = await createCaller(context).logs.list({ chainId, order: 'asc' });
    const detail = await createCaller(context).chains.get({ chainId });

    expect(page.items.map(({ id, callId, errorClass }) => ({ id, callId, errorClass }))).toEqual([
      { id: first, callId: first, errorClass: 'ProviderError' },
      { id: retry, callId: first, errorClass: null },
    ]);
    expect(detail.logs.map(({ id, callId, errorClass }) => ({ id, callId, errorClass }))).toEqual(
      page.items.map(({ id, callId, errorClass }) => ({ id, callId, errorClass })),
    );
  });
});

describe('logs.list date filters', () => {
  it.each([
    ['year 0000', '0000-06-01T00:00:00Z'],
    ['year 0001 pushed into year 0000 by its offset', '0001-01-01T00:00:00+14:00'],
    ['year 9999 pushed into year 10000 by its offset', '9999-12-31T23:59:59-23:59'],
  ])(
    'answers BAD_REQUEST naming the field for %s, which PostgreSQL could not read as given (a 500 on PGlite before)',
    async (_what, date) => {
      const caller = createCaller(context);

      for (const field of ['from', 'to'] as const) {
        const error: unknown = await caller.logs.list({ [field]: date }).catch((caught: unknown) => caught);
        expect(error, `${field} ${date}`).toMatchObject({
          code: 'BAD_REQUEST',
          message: expect.stringContaining('between 0001-01-01 and 9999-12-31'),
        });
      }
    },
  );

  it('accepts the first and last instants of years 0001 to 9999 (UTC)', async () => {
    const caller = createCaller(context);

    const page = await caller.logs.list({ from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z' });
    const edges = await caller.logs.list({ from: '0001-01-01T14:00:00+14:00', to: '9999-12-31T00:00:00-23:59' });

    expect(page.items.length).toBeGreaterThanOrEqual(0);
    expect(edges.items.length).toBeGreaterThanOrEqual(0);
  });
});

describe('logs.facets', () => {
  it('lists each name, model and provider in use once', async () => {
    const tag = uuidv7();
    const chainId = newChainId();
    const at = new Date('2026-03-04T08:00:00.000Z');
    for (const [name, provider, model] of [
      [`facet-a ${tag}`, `provider-a-${tag}`, `model-a-${tag}`],
      [`facet-a ${tag}`, `provider-b-${tag}`, `model-a-${tag}`],
      [`facet-b ${tag}`, `provider-a-${tag}`, `model-b-${tag}`],
    ] as const) {
      await storeLog({ chainId, name, provider, model, status: 'ok', at });
    }

    const facets = await createCaller(context).logs.facets();

    const ours = (values: string[]) => values.filter((value) => value.includes(tag));
    expect(ours(facets.names)).toEqual([`facet-a ${tag}`, `facet-b ${tag}`]);
    expect(ours(facets.providers)).toEqual([`provider-a-${tag}`, `provider-b-${tag}`]);
    expect(ours(facets.models)).toEqual([`model-a-${tag}`, `model-b-${tag}`]);
    for (const values of [facets.names, facets.models, facets.providers])
      expect(new Set(values).size).toBe(values.length);
  });
});

describe('logs.get', () => {
  it('returns the full row of a real ask: request, response, output, usage and the provider request id', async () => {
    const message = { from: 'ada@example.com', subject: 'Where is my order?', body: 'Where is my order #A-1042?' };
    const result: AskResult<unknown> = await llm.ask('intent recognition', message);

    const detail = await createCaller(context).logs.get({ id: result.logId });

    expect(detail).toEqual({
      id: result.logId,
      chainId: result.chainId,
      name: 'intent recognition',
      provider: 'offline',
      model: 'default',
      status: 'ok',
      attempt: 1,
      callId: result.logId,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd: result.costUsd,
      latencyMs: expect.any(Number),
      errorClass: null,
      errorMessage: null,
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
      request: expect.objectContaining({
        messages: expect.arrayContaining([expect.objectContaining({ role: 'user' })]),
      }),
      response: expect.objectContaining({ output: result.output }),
      output: result.output,
      error: null,
      providerRequestId: expect.stringMatching(/^offline-[0-9a-f]{8}$/),
      priceSource: 'offline',
    });
    expect(JSON.stringify(detail.request)).toContain('#A-1042');
  });

  it('returns an error row with its error as stored and its message', async () => {
    const id = await storeLog({
      chainId: newChainId(),
      name: 'entity extraction',
      provider: 'anthropic',
      model: 'claude-test',
      status: 'error',
      at: new Date('2026-03-05T08:00:00.000Z'),
      errorMessage: 'anthropic answered HTTP 529: overloaded',
    });

    const detail = await createCaller(context).logs.get({ id });

    expect(detail).toMatchObject({
      id,
      status: 'error',
      callId: id,
      errorClass: 'ProviderError',
      errorMessage: 'anthropic answered HTTP 529: overloaded',
      error: {
        class: 'ProviderError',
        code: 'provider_error',
        message: 'anthropic answered HTTP 529: overloaded',
        providerStatus: 500,
      },
      output: null,
      response: null,
      providerRequestId: `req_${id}`,
    });
  });

  it('answers NOT_FOUND naming an unknown log id', async () => {
    const id = uuidv7();

    await expect(createCaller(context).logs.get({ id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `no inference log has id ${id}`,
    });
  });

  it('answers BAD_REQUEST for an id that is not a UUID', async () => {
    await expect(createCaller(context).logs.get({ id: 'log-1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
