import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { createLogWriterFor } from './inference-log-writer.js';
import {
  down as countCallsByNumber,
  up as countCallsByCallId,
} from './migrations/2026-12-05T1200-task-stats-calls-by-call-id.js';
import { rollUpTaskStats } from './queries/task-stats-rollup.js';
import type { NewInferenceLog } from './tables/inference-log.js';

const DAY = 86_400_000;
// Noon UTC, days ago: a day the roll-up has closed whatever the time of day the test runs.
const noonDaysAgo = (days: number) => new Date(Math.floor(Date.now() / DAY) * DAY - days * DAY + DAY / 2);

let database: DatabaseHandle;

function logRow(createdAt: Date, overrides: Partial<NewInferenceLog> = {}): NewInferenceLog {
  return {
    id: randomUUID(),
    chain_id: randomUUID(),
    name: 'sentiment',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    status: 'ok',
    attempt: 1,
    request: JSON.stringify({ messages: [{ role: 'user', content: 'seeded' }] }),
    input_tokens: 100,
    output_tokens: 20,
    cost_usd: '0.00007200',
    latency_ms: 800,
    created_at: createdAt,
    finished_at: new Date(createdAt.getTime() + 800),
    ...overrides,
  };
}

async function insert(rows: NewInferenceLog[]): Promise<void> {
  await database.db.insertInto('inference_log').values(rows).execute();
}

/** task_stats as it reads, and as the log's rows give it (the view's definition before the roll-up), in one order. */
async function viewAndLog() {
  const order = sql`order by day, name, provider, model`;
  const view = await sql`select * from task_stats ${order}`.execute(database.db);
  const log = await sql`select * from task_stats_between('-infinity', 'infinity') ${order}`.execute(database.db);
  return { view: view.rows, log: log.rows };
}

/** The daily totals alone (what the roll-up wrote), their histograms one row per bucket, beside the same days from the log. */
async function dailyAndLog() {
  const daily = await sql`
    select day, name, provider, model, calls, attempts, errors, p50_ms, p95_ms, input_tokens, output_tokens, cost_usd
    from task_stats_daily order by day, name, provider, model`.execute(database.db);
  const log = await sql`
    select day, name, provider, model, calls, attempts, errors, p50_ms, p95_ms, input_tokens, output_tokens, cost_usd
    from task_stats_between('-infinity', (select closed_before from task_stats_rollup)) order by day, name, provider, model`.execute(
    database.db,
  );
  const buckets = await sql`
    select daily.day, daily.name, daily.provider, daily.model, histogram.bucket, histogram.attempts
    from task_stats_daily as daily
    cross join lateral unnest(daily.latency_buckets, daily.latency_attempts) as histogram(bucket, attempts)
    order by day, name, provider, model, bucket`.execute(database.db);
  const logBuckets = await sql`
    select * from task_latency_between('-infinity', (select closed_before from task_stats_rollup))
    order by day, name, provider, model, bucket`.execute(database.db);
  return { daily: daily.rows, log: log.rows, buckets: buckets.rows, logBuckets: logBuckets.rows };
}

async function staleDays(): Promise<string[]> {
  const { rows } = await sql<{ day: string }>`
    select to_char(day at time zone 'UTC', 'YYYY-MM-DD') as day from task_stats_stale_day order by day`.execute(
    database.db,
  );
  return rows.map((row) => row.day);
}

beforeAll(async () => {
  database = await openTestDatabase();
  const rows: NewInferenceLog[] = [];
  for (let day = 2; day <= 7; day++) {
    for (let index = 0; index < 12; index++) {
      rows.push(
        logRow(new Date(noonDaysAgo(day).getTime() + index * 60_000), {
          name: index % 3 === 0 ? 'reply drafting' : 'sentiment',
          model: index % 2 === 0 ? 'gpt-4.1-mini' : 'gpt-4.1',
          status: index % 5 === 0 ? 'error' : 'ok',
          attempt: index % 5 === 1 ? 2 : 1,
          latency_ms: 300 + day * 97 + index * 211,
          cost_usd: (0.0001 * (index + 1)).toFixed(8),
        }),
      );
    }
  }
  await insert(rows);
});
afterAll(() => database?.close());

describe('task_stats from daily totals', () => {
  it('rolls up the closed days and reads them back as the log gives them, today still from the log', async () => {
    await insert([logRow(new Date(Date.now() - 1_000), { name: 'summarization' })]);
    const before = await viewAndLog();
    expect(before.view).toEqual(before.log);

    const result = await rollUpTaskStats(database.db);
    expect(result.days).toBeGreaterThanOrEqual(6);
    const closedBefore = Date.parse(result.closedBefore ?? '');
    expect(closedBefore % DAY).toBe(0);
    expect(closedBefore).toBeLessThanOrEqual(Date.now());

    const rolled = await dailyAndLog();
    expect(rolled.daily).toHaveLength(6 * 4);
    expect(rolled.daily).toEqual(rolled.log);
    expect(rolled.buckets).toEqual(rolled.logBuckets);
    const after = await viewAndLog();
    expect(after.view).toEqual(after.log);
    // Today's call is in the view but in no daily table.
    const { rows } = await sql<{
      name: string;
    }>`select name from task_stats_daily where name = 'summarization'`.execute(database.db);
    expect(rows).toEqual([]);
    expect(after.view.some((row) => (row as { name: string }).name === 'summarization')).toBe(true);
  });

  it("counts a call that finishes after its day closed: the log writer's finishing row marks the day stale", async () => {
    await rollUpTaskStats(database.db);
    const writer = createLogWriterFor(database);
    const started = noonDaysAgo(2);
    const pending = logRow(started, {
      name: 'entity extraction',
      status: 'pending',
      input_tokens: null,
      output_tokens: null,
      cost_usd: null,
      latency_ms: null,
      finished_at: null,
    });
    await writer.write(pending);
    expect(await staleDays()).toEqual([started.toISOString().slice(0, 10)]);
    await rollUpTaskStats(database.db);
    expect(await staleDays()).toEqual([]);

    // Its retry, written late too (naming its call, as ask() does), and the first attempt's finishing row.
    await writer.write({
      ...pending,
      id: randomUUID(),
      call_id: pending.id,
      attempt: 2,
      status: 'ok',
      latency_ms: 4_000,
      cost_usd: '0.5',
    });
    await writer.write({ ...pending, status: 'error', latency_ms: 2_500, input_tokens: 900, cost_usd: '0.25' });
    expect(await staleDays()).toEqual([started.toISOString().slice(0, 10)]);
    const stale = await viewAndLog();
    expect(stale.view).toEqual(stale.log);
    const extraction = stale.view.find((row) => (row as { name: string }).name === 'entity extraction');
    expect(extraction).toMatchObject({ calls: 1, attempts: 2, errors: 1, cost_usd: '0.75000000' });
    expect(Number((extraction as { input_tokens: unknown }).input_tokens)).toBe(900);

    await rollUpTaskStats(database.db);
    expect(await staleDays()).toEqual([]);
    const rolled = await dailyAndLog();
    expect(rolled.daily).toEqual(rolled.log);
    expect(rolled.buckets).toEqual(rolled.logBuckets);
    const after = await viewAndLog();
    expect(after.view).toEqual(after.log);
  });

  it('takes deleted rows and rows moved to another day out of the totals', async () => {
    await rollUpTaskStats(database.db);
    await sql`delete from inference_log where created_at >= ${noonDaysAgo(3)} and created_at < ${noonDaysAgo(2)}`.execute(
      database.db,
    );
    await sql`update inference_log set created_at = created_at - interval '1 day' where name = 'reply drafting'
              and created_at >= ${noonDaysAgo(5)} and created_at < ${noonDaysAgo(4)}`.execute(database.db);
    expect(await staleDays()).toEqual(
      [noonDaysAgo(6), noonDaysAgo(5), noonDaysAgo(3)].map((day) => day.toISOString().slice(0, 10)),
    );
    const stale = await viewAndLog();
    expect(stale.view).toEqual(stale.log);
    await rollUpTaskStats(database.db);
    const rolled = await dailyAndLog();
    expect(rolled.daily).toEqual(rolled.log);
    expect(rolled.buckets).toEqual(rolled.logBuckets);
  });

  it("marks nothing stale for today's rows, and empties the totals with the log", async () => {
    await rollUpTaskStats(database.db);
    const writer = createLogWriterFor(database);
    const now = logRow(new Date(), { status: 'pending', latency_ms: null });
    await writer.write(now);
    await writer.write({ ...now, status: 'ok', latency_ms: 120 });
    expect(await staleDays()).toEqual([]);

    await sql`truncate inference_log`.execute(database.db);
    const { rows } = await sql<{ daily: number; buckets: number; view: number }>`
      select (select count(*)::int from task_stats_daily) as daily, (select count(*)::int from task_latency_buckets) as buckets,
             (select count(*)::int from task_stats) as view`.execute(database.db);
    expect(rows[0]).toEqual({ daily: 0, buckets: 0, view: 0 });
    expect((await rollUpTaskStats(database.db)).days).toBe(0);
  });

  it('counts calls as chain_summary does, and gives an attempt without a latency no bucket', async () => {
    const day = noonDaysAgo(4);
    // A retry whose first attempt is not in the log (the database makes it a call of its own), and a first attempt
    // that failed before any answer.
    const retry = logRow(day, { name: 'orphan retry', attempt: 2, latency_ms: 500 });
    const unanswered = logRow(new Date(day.getTime() + 60_000), {
      name: 'orphan retry',
      status: 'error',
      latency_ms: null,
    });
    await insert([retry, unanswered]);
    const stats = () =>
      sql<{ calls: number; attempts: number }>`
      select calls, attempts from task_stats where name = 'orphan retry'`.execute(database.db);
    const buckets = () =>
      sql<{ bucket: number; attempts: number }>`
      select bucket, attempts from task_latency_buckets where name = 'orphan retry'`.execute(database.db);
    const summary = await sql<{ calls: number }>`
      select calls from chain_summary where chain_id = ${retry.chain_id}`.execute(database.db);

    expect(summary.rows).toEqual([{ calls: 1 }]);
    expect((await stats()).rows).toEqual([{ calls: 2, attempts: 2 }]);
    expect((await buckets()).rows).toEqual([{ bucket: 143, attempts: 1 }]);
    const { rows } = await sql<{ none: number | null }>`select latency_bucket(null) as none`.execute(database.db);
    expect(rows).toEqual([{ none: null }]);

    await rollUpTaskStats(database.db);
    expect((await stats()).rows).toEqual([{ calls: 2, attempts: 2 }]);
    expect((await buckets()).rows).toEqual([{ bucket: 143, attempts: 1 }]);
    const rolled = await dailyAndLog();
    expect(rolled.daily).toEqual(rolled.log);
    expect(rolled.buckets).toEqual(rolled.logBuckets);
  });

  it('corrects the days rolled up before: their calls by the new rule, their empty buckets gone', async () => {
    await countCallsByNumber(database.db);
    await sql`delete from task_stats_stale_day`.execute(database.db);
    await insert([
      logRow(noonDaysAgo(5), { name: 'rolled before', attempt: 2 }),
      logRow(noonDaysAgo(5), { name: 'rolled before', status: 'error', latency_ms: null }),
    ]);
    await rollUpTaskStats(database.db);
    const daily = () =>
      sql<{ calls: number; latency_buckets: number[]; latency_attempts: number[] }>`
      select calls, latency_buckets, latency_attempts from task_stats_daily where name = 'rolled before'`.execute(
        database.db,
      );
    expect((await daily()).rows).toEqual([{ calls: 1, latency_buckets: [-160, 154], latency_attempts: [0, 1] }]);

    await countCallsByCallId(database.db);

    expect((await daily()).rows).toEqual([{ calls: 2, latency_buckets: [154], latency_attempts: [1] }]);
    const rolled = await dailyAndLog();
    expect(rolled.daily).toEqual(rolled.log);
    expect(rolled.buckets).toEqual(rolled.logBuckets);
  });
});
