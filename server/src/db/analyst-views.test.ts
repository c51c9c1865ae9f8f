import { randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalystSeed, seedAnalystData } from '../../test/analyst-seed.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { migrateToLatest } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

describe('the analyst views', () => {
  let database: DatabaseHandle;
  let seed: AnalystSeed;
  beforeAll(async () => {
    database = await openTestDatabase();
    seed = await seedAnalystData(database.db);
  });
  afterAll(() => database.close());

  const summaryOf = (chainId: string) =>
    database.db.selectFrom('chain_summary').selectAll().where('chain_id', '=', chainId).executeTakeFirstOrThrow();

  it('summarise a chain whose step retried with every attempt counted', async () => {
    const summary = await summaryOf(seed.chainIds.replyRetried);
    expect(summary).toMatchObject({
      name: 'support-inbox triage',
      status: 'succeeded',
      has_chain_row: true,
      calls: 3,
      attempts: 4,
      errors: 1,
      slowest_step: 'reply drafting',
      slowest_step_ms: 5_000,
    });
    expect(summary.input).toMatchObject({ subject: 'Order replyRetried' });
    const { rows } = await sql<{ cost: string; input_tokens: number; wall_ms: number }>`
      select sum(cost_usd)::text as cost, sum(input_tokens)::int as input_tokens,
             extract(epoch from max(finished_at) - min(created_at))::double precision * 1000 as wall_ms
      from inference_log where chain_id = ${seed.chainIds.replyRetried}`.execute(database.db);
    expect(Number(summary.cost_usd)).toBeCloseTo(Number(rows[0]?.cost), 10);
    expect(summary.input_tokens).toBe(rows[0]?.input_tokens);
    expect(summary.wall_ms).toBeCloseTo(rows[0]?.wall_ms ?? Number.NaN, 3);
    expect(summary.last_call_at.getTime() - summary.first_call_at.getTime()).toBeCloseTo(summary.wall_ms, 3);
  });

  it('list every chain_id of the log as a chain, with or without a chain row', async () => {
    const chains = await database.db.selectFrom('chain_summary').select(['chain_id', 'has_chain_row']).execute();
    expect(chains.map((chain) => chain.chain_id).sort()).toEqual(Object.values(seed.chainIds).sort());
    expect(chains.filter((chain) => !chain.has_chain_row)).toHaveLength(4);
  });

  it('name a chain without a chain row after its first step and derive its status from the log', async () => {
    expect(await summaryOf(seed.chainIds.askYesterday)).toMatchObject({
      name: 'intent recognition',
      status: 'succeeded',
      input: null,
      has_chain_row: false,
      calls: 2,
      attempts: 3,
      errors: 1,
      slowest_step: 'sentiment',
    });
    expect(await summaryOf(seed.chainIds.askFailed)).toMatchObject({
      name: 'sentiment',
      status: 'failed',
      calls: 1,
      errors: 1,
      cost_usd: null,
    });
    // A call that failed for good fails the chain, whatever came after it.
    // Also when a later call of its task failed once and was retried: that retry continues the later call.
    expect(await summaryOf(seed.chainIds.askFailedThenAsked)).toMatchObject({
      name: 'sentiment',
      status: 'failed',
      calls: 3,
      attempts: 4,
      errors: 2,
    });
    expect(await summaryOf(seed.chainIds.running)).toMatchObject({ status: 'running', calls: 2, attempts: 2 });
  });

  it('give per task, model and day the calls, attempts, error rate and latency percentiles of every attempt', async () => {
    const rows = await database.db
      .selectFrom('task_stats')
      .selectAll()
      .where('name', '=', 'reply drafting')
      .where('model', '=', 'gpt-4.1-mini')
      .execute();
    expect(rows).toHaveLength(1);
    const [stats] = rows;
    expect(stats).toMatchObject({
      provider: 'openai',
      calls: 1,
      attempts: 2,
      errors: 1,
      error_rate: 0.5,
      p50_ms: 2_500,
    });
    expect(stats?.p95_ms).toBeCloseTo(2_590, 6);
    expect(Number(stats?.input_tokens)).toBe(470 + 590);
    expect(stats?.day.toISOString()).toMatch(/T00:00:00\.000Z$/);
  });

  it("read one chain's summary through the chain_id index, directly and in a lateral lookup", async () => {
    // With sequential scans priced out, a plan without an index condition on chain_id means the filter no longer
    // reaches the log through the view's grouping: every chain would be summarised to answer for one.
    const plans = await database.db.transaction().execute(async (transaction) => {
      await sql`set local enable_seqscan = off`.execute(transaction);
      const plan = async (query: ReturnType<typeof sql<{ 'QUERY PLAN': string }>>) =>
        (await query.execute(transaction)).rows.map((row) => row['QUERY PLAN']).join('\n');
      return [
        await plan(sql`explain select * from chain_summary where chain_id = ${seed.chainIds.replyRetried}`),
        await plan(sql`explain select s.* from (select distinct chain_id from inference_log where created_at > now() - interval '1 day') as recent
                       cross join lateral (select * from chain_summary where chain_id = recent.chain_id offset 0) as s`),
      ];
    });
    for (const plan of plans) {
      expect(plan).toMatch(/Index Cond: \(chain_id = /);
      expect(plan).not.toMatch(/Seq Scan on inference_log/);
      // Whether a failed attempt was retried: one probe of the index of retries by call.
      expect(plan).toMatch(/inference_log_retry_call_idx/);
    }
  });

  it('count every attempt of the log once across task_stats', async () => {
    const { rows } = await sql<{ attempts: number; logged: number; cost: string | null; logged_cost: string | null }>`
      select (select sum(attempts)::int from task_stats) as attempts, (select count(*)::int from inference_log) as logged,
             (select sum(cost_usd)::text from task_stats) as cost, (select sum(cost_usd)::text from inference_log) as logged_cost`.execute(
      database.db,
    );
    expect(rows[0]?.attempts).toBe(rows[0]?.logged);
    expect(rows[0]?.cost).toBe(rows[0]?.logged_cost);
  });
});

describe('the analyst views migration', () => {
  it('drops the views on the way down (the request templates migration too) and makes them again on the way up', async () => {
    const database = await openTestDatabase();
    try {
      const schema = database.schema;
      const views = async () =>
        (
          await sql<{ name: string }>`
        select table_name as name from information_schema.views where table_schema = current_schema() order by table_name`.execute(
            database.db,
          )
        ).rows.map((view) => view.name);
      expect(await views()).toEqual([
        'chain_summary',
        'inference_log_request',
        'task_latency_buckets',
        'task_stats',
        'task_stats_histograms',
      ]);
      const migrator = new Migrator({
        db: database.db,
        provider: { getMigrations: async () => MIGRATIONS },
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      const { error } = await migrator.migrateTo('2026-12-02T1000-instances');
      expect(error).toBeUndefined();
      expect(await views()).toEqual([]);
      await migrateToLatest(database.db, schema);
      expect(await views()).toEqual([
        'chain_summary',
        'inference_log_request',
        'task_latency_buckets',
        'task_stats',
        'task_stats_histograms',
      ]);
    } finally {
      await database.close();
    }
  });
});

describe('chain_summary of a chain with a chain row and no call yet', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  const summariesOf = (chainId: string) =>
    database.db.selectFrom('chain_summary').selectAll().where('chain_id', '=', chainId).execute();

  it('lists it with its chain row and zero calls, then once with its calls when the log has some', async () => {
    const chainId = randomUUID();
    await database.db
      .insertInto('chain')
      .values({
        id: chainId,
        name: 'support-inbox triage',
        status: 'running',
        input: JSON.stringify({ subject: 'Hi' }),
      })
      .execute();

    expect(await summariesOf(chainId)).toEqual([
      {
        chain_id: chainId,
        name: 'support-inbox triage',
        status: 'running',
        input: { subject: 'Hi' },
        first_call_at: null,
        last_call_at: null,
        wall_ms: null,
        calls: 0,
        attempts: 0,
        errors: 0,
        input_tokens: null,
        output_tokens: null,
        cost_usd: null,
        slowest_step: null,
        slowest_step_ms: null,
        has_chain_row: true,
      },
    ]);

    await database.db
      .insertInto('inference_log')
      .values({
        id: randomUUID(),
        chain_id: chainId,
        name: 'intent recognition',
        provider: 'offline',
        model: 'default',
        status: 'pending',
        attempt: 1,
        request: '{}',
      })
      .execute();
    expect(await summariesOf(chainId)).toMatchObject([
      { status: 'running', calls: 1, attempts: 1, has_chain_row: true },
    ]);
  });

  it('goes back to the log-only view on the way down', async () => {
    const chainId = randomUUID();
    await database.db
      .insertInto('chain')
      .values({ id: chainId, name: 'support-inbox triage', status: 'failed', input: '{}' })
      .execute();
    const migrator = new Migrator({
      db: database.db,
      provider: { getMigrations: async () => MIGRATIONS },
      ...(database.schema ? { migrationTableSchema: database.schema } : {}),
    });
    try {
      expect((await migrator.migrateTo('2026-12-03T2300-price-source')).error).toBeUndefined();
      expect(await summariesOf(chainId)).toEqual([]);
    } finally {
      await migrateToLatest(database.db, database.schema);
    }
    expect(await summariesOf(chainId)).toHaveLength(1);
  });
});
