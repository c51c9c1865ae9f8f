import type { ChainStatus } from '@chainlog/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalystSeed, seedAnalystData } from '../../test/analyst-seed.js';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import { insertChain } from '../db/queries/chains.js';
import { newChainId } from '../llm/chain-context.js';
import { createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';

type Caller = ReturnType<typeof createCaller>;
type ListInput = { status?: ChainStatus; name?: string; cursor?: string | null; limit: number };
type ListItem = Awaited<ReturnType<Caller['chains']['list']>>['items'][number];

// Chains of their own database: the seeded analyst chains (demo chains with chain rows, and chains of plain ask()
// calls with log rows only) and one queued chain that has made no call yet.
let database: DatabaseHandle;
let caller: Caller;
let seed: AnalystSeed;
let queued: string;

beforeAll(async () => {
  database = await openTestDatabase();
  const llm = offlineLlm(database);
  caller = createCaller(createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1 })));
  seed = await seedAnalystData(database.db);
  queued = newChainId();
  await insertChain(database.db, {
    id: queued,
    name: 'support-inbox triage',
    status: 'running',
    input: JSON.stringify({ queued: true }),
  });
});
afterAll(() => database.close());

/** Every page of a listing, following nextCursor. */
async function allPages(input: ListInput): Promise<ListItem[][]> {
  const pages = [await caller.chains.list(input)];
  for (let next = pages[0]?.nextCursor; next; next = pages.at(-1)?.nextCursor)
    pages.push(await caller.chains.list({ ...input, cursor: next }));
  return pages.map((page) => page.items);
}

const byIdDescending = (ids: readonly string[]) =>
  [...ids].sort((left, right) => (left < right ? 1 : left > right ? -1 : 0));

describe('chains.list', () => {
  it('lists every chain the log knows and every recorded one, highest id first, a page at a time without overlap', async () => {
    const expected = byIdDescending([...Object.values(seed.chainIds), queued]);

    const pages = await allPages({ limit: 3 });

    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
    expect(pages.flat().map((chain) => chain.id)).toEqual(expected);
  });

  it('adds up every attempt of a chain, as chains.get does, whether or not a chain runner recorded it', async () => {
    const items = (await allPages({ limit: 100 })).flat();

    for (const item of items.filter((chain) => chain.id !== queued)) {
      const detail = await caller.chains.get({ chainId: item.id });
      expect(item, item.id).toMatchObject({
        name: detail.chain.name,
        status: detail.chain.status,
        recorded: detail.recorded,
        createdAt: detail.chain.createdAt,
        calls: detail.totals.calls,
        attempts: detail.totals.attempts,
        errors: detail.totals.failedAttempts,
        inputTokens: detail.totals.inputTokens,
        outputTokens: detail.totals.outputTokens,
      });
      expect(Number(item.costUsd), item.id).toBeCloseTo(Number(detail.totals.costUsd), 10);
      if (detail.totals.wallMs !== null) expect(item.wallMs, item.id).toBeCloseTo(detail.totals.wallMs, 3);
      // A chain only the log knows has no input; its finish and error are its calls'.
      if (!detail.recorded)
        expect(item, item.id).toMatchObject({
          input: null,
          finishedAt: detail.chain.finishedAt,
          error: detail.chain.error,
        });
    }
  });

  it('shows a chain of ask() calls with its first call as its name, its retry counted and no chain row', async () => {
    const items = (await allPages({ limit: 100 })).flat();

    expect(items.find((chain) => chain.id === seed.chainIds.askYesterday)).toEqual({
      id: seed.chainIds.askYesterday,
      name: 'intent recognition',
      status: 'succeeded',
      input: null,
      error: null,
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
      recorded: false,
      calls: 2,
      attempts: 3,
      errors: 1,
      inputTokens: expect.any(Number),
      outputTokens: expect.any(Number),
      costUsd: expect.stringMatching(/^0\.\d+$/),
      // 1,000 ms, then 1,200 and 1,400 ms, each followed by 20 ms of the caller's own time (the seed's clock).
      wallMs: expect.closeTo(3_640, 3),
    });
    expect(items.find((chain) => chain.id === seed.chainIds.askFailed)).toMatchObject({
      status: 'failed',
      recorded: false,
      error: { class: 'ProviderError', message: 'seeded ProviderError' },
    });
    expect(items.find((chain) => chain.id === seed.chainIds.running)).toMatchObject({
      status: 'running',
      recorded: true,
      finishedAt: null,
    });
    expect(items.find((chain) => chain.id === queued)).toMatchObject({
      status: 'running',
      recorded: true,
      calls: 0,
      attempts: 0,
      costUsd: null,
      wallMs: null,
    });
  });

  it.each<{
    filter: { status?: ChainStatus; name?: string };
    chains: readonly (keyof AnalystSeed['chainIds'] | 'queued')[];
  }>([
    // askYesterday had an error too, but its call was retried and succeeded.
    {
      filter: { status: 'failed' },
      chains: ['failedAfterFirstStep', 'failedAtFirstStep', 'askFailed', 'askFailedThenAsked'],
    },
    // askFailedThenAsked has an ok call but failed; running has an ok call but runs.
    {
      filter: { status: 'succeeded' },
      chains: ['replyRetried', 'anthropicToday', 'tenDaysAgo', 'askToday', 'askYesterday'],
    },
    { filter: { status: 'running' }, chains: ['running', 'queued'] },
    { filter: { status: 'interrupted' }, chains: [] },
    // A chain of ask() calls is named after its first call: askYesterday called sentiment second.
    { filter: { name: 'sentiment' }, chains: ['askFailed', 'askFailedThenAsked'] },
    { filter: { name: 'intent recognition' }, chains: ['askToday', 'askYesterday'] },
    { filter: { name: 'sentiment', status: 'failed' }, chains: ['askFailed', 'askFailedThenAsked'] },
    {
      filter: { name: 'support-inbox triage', status: 'failed' },
      chains: ['failedAfterFirstStep', 'failedAtFirstStep'],
    },
    { filter: { name: 'no such chain' }, chains: [] },
  ])('filters by $filter, one page at a time or all at once', async ({ filter, chains }) => {
    const expected = byIdDescending(chains.map((chain) => (chain === 'queued' ? queued : seed.chainIds[chain])));

    for (const limit of [1, 2, 100]) {
      const pages = await allPages({ ...filter, limit });
      expect(
        pages.flat().map((chain) => chain.id),
        `limit ${limit}`,
      ).toEqual(expected);
      expect(pages.every((page) => page.length <= limit)).toBe(true);
      expect(
        pages.slice(0, -1).every((page) => page.length === limit),
        `full pages before the last, limit ${limit}`,
      ).toBe(true);
    }
    const statuses = new Set<ChainStatus>(
      (await allPages({ ...filter, limit: 100 })).flat().map((chain) => chain.status),
    );
    if (filter.status) expect([...statuses].every((status) => status === filter.status)).toBe(true);
  });
});

describe('chains.list filtered by name', () => {
  // Its own database: the analyst chains, and chains only the log knows where a task comes second (language detection
  // then summarization) or first (summarization alone), so "summarization" is the first call of one chain and a later
  // call of two, and "language detection" of one chain only.
  let own: DatabaseHandle;
  let ownCaller: Caller;
  const laterFirst: string[] = [];
  let summarizationFirst: string;

  beforeAll(async () => {
    own = await openTestDatabase();
    ownCaller = createCaller(
      createInnerContext(await createAppDependencies({ database: own, llm: offlineLlm(own), maxRunningChains: 1 })),
    );
    await seedAnalystData(own.db);
    const row = (chainId: string, name: string, createdAt: number) => ({
      id: newChainId(),
      chain_id: chainId,
      name,
      provider: 'openai',
      model: 'gpt-4.1-mini',
      status: 'ok' as const,
      attempt: 1,
      request: '{}',
      latency_ms: 300,
      created_at: new Date(createdAt),
      finished_at: new Date(createdAt + 300),
    });
    const now = Date.now();
    for (const minutesAgo of [30, 20]) {
      const chainId = newChainId();
      laterFirst.push(chainId);
      await own.db
        .insertInto('inference_log')
        .values([
          row(chainId, 'language detection', now - minutesAgo * 60_000),
          row(chainId, 'summarization', now - minutesAgo * 60_000 + 1_000),
        ])
        .execute();
    }
    summarizationFirst = newChainId();
    await own.db
      .insertInto('inference_log')
      .values(row(summarizationFirst, 'summarization', now - 10 * 60_000))
      .execute();
  });
  afterAll(() => own.close());

  const pagesOf = async (input: ListInput): Promise<ListItem[]> => {
    const pages = [await ownCaller.chains.list(input)];
    for (let next = pages[0]?.nextCursor; next; next = pages.at(-1)?.nextCursor)
      pages.push(await ownCaller.chains.list({ ...input, cursor: next }));
    return pages.flatMap((page) => page.items);
  };

  it('lists exactly the chains the whole list shows under that name, for every name in the log or the chain table', async () => {
    const everything = await pagesOf({ limit: 100 });
    const { rows } = await sql<{ name: string }>`
      select name from inference_log union select name from chain order by name`.execute(own.db);
    const names = rows.map((row) => row.name);
    // Tasks that are never a chain's first call are among them: their filter lists nothing.
    expect(names).toEqual(expect.arrayContaining(['entity extraction', 'reply drafting', 'summarization']));

    for (const name of names) {
      const expected = everything.filter((chain) => chain.name === name).map((chain) => chain.id);
      for (const limit of [1, 3, 100]) {
        expect(
          (await pagesOf({ name, limit })).map((chain) => chain.id),
          `${name}, limit ${limit}`,
        ).toEqual(expected);
      }
    }
    expect(everything.filter((chain) => chain.name === 'entity extraction')).toEqual([]);
    expect(everything.filter((chain) => chain.name === 'summarization').map((chain) => chain.id)).toEqual([
      summarizationFirst,
    ]);
    expect(everything.filter((chain) => laterFirst.includes(chain.id)).map((chain) => [chain.id, chain.name])).toEqual(
      laterFirst.toReversed().map((id) => [id, 'language detection']),
    );
  });
});
