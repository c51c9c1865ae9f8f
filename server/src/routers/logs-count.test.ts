import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import { EXACT_COUNT_BELOW } from '../db/queries/log-count.js';
import { seedSyntheticData } from '../db/synthetic-seed.js';
import { createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';

type Caller = ReturnType<typeof createCaller>;

// More rows than the exact-count bound, so the whole log is estimated while narrow filters are counted.
const LOGS = 14_000;

let database: DatabaseHandle;
let caller: Caller;

beforeAll(async () => {
  database = await openTestDatabase();
  const llm = offlineLlm(database);
  caller = createCaller(createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1 })));
  await seedSyntheticData(database.db, { logs: LOGS });
  // Statistics as of now, kept (autovacuum would refresh them after the bulk insert of the last test).
  await sql`alter table inference_log set (autovacuum_enabled = false)`.execute(database.db);
  await sql`analyze inference_log`.execute(database.db);
});
afterAll(() => database.close());

async function exactly(where: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await sql<{
    count: number;
  }>`select count(*)::int as count from inference_log where ${where}`.execute(database.db);
  return rows[0]?.count ?? -1;
}

describe('logs.count', () => {
  it('estimates a selection past the bound from the planner, near the true count', async () => {
    expect(LOGS).toBeGreaterThan(EXACT_COUNT_BELOW);
    const all = await caller.logs.count();
    expect(all.precision).toBe('estimate');
    expect(all.count).toBeGreaterThan(LOGS * 0.8);
    expect(all.count).toBeLessThan(LOGS * 1.2);
  });

  it('counts exactly what logs.list would page through when the selection is small', async () => {
    const failedReplies = await caller.logs.count({ name: 'reply drafting', status: 'error' });
    expect(failedReplies).toEqual({
      count: await exactly(sql`name = 'reply drafting' and status = 'error'`),
      precision: 'exact',
    });
    expect(failedReplies.count).toBeGreaterThan(0);

    const slowRefunds = await caller.logs.count({ q: 'refund', minLatencyMs: 5_000, minCostUsd: 0.001 });
    const expected = await exactly(
      sql`((request->'messages')::text ilike '%refund%' or output::text ilike '%refund%') and latency_ms >= 5000 and cost_usd >= 0.001`,
    );
    expect(slowRefunds).toEqual({ count: expected, precision: 'exact' });
    expect(expected).toBeGreaterThan(0);

    expect(await caller.logs.count({ q: 'zebra' })).toEqual({ count: 0, precision: 'exact' });
  });

  it('says "at least" the bound when more rows match than the statistics know of', async () => {
    // Rows of a task the statistics have never seen: the planner expects few, the capped count finds the bound passed.
    await sql`
      insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, latency_ms)
      select gen_random_uuid(), gen_random_uuid(), 'bulk import', 'offline', 'default', 'ok', 1, '{}', 5
      from generate_series(1, ${EXACT_COUNT_BELOW + 500}::int)`.execute(database.db);

    expect(await caller.logs.count({ name: 'bulk import' })).toEqual({
      count: EXACT_COUNT_BELOW,
      precision: 'at least',
    });
    await sql`analyze inference_log`.execute(database.db);
    const estimated = await caller.logs.count({ name: 'bulk import' });
    expect(estimated.precision).toBe('estimate');
    expect(estimated.count).toBeGreaterThan(EXACT_COUNT_BELOW * 0.8);
  });
});
