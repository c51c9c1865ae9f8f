import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { rollUpTaskStats } from '../db/queries/task-stats-rollup.js';
import type { NewInferenceLog } from '../db/tables/inference-log.js';
import { type LatencyBucket, histogramPercentile } from './latency-histogram.js';
import { type StatsOverview, getStatsOverview } from './stats.js';

const DAY = 86_400_000;
const TASKS = ['intent recognition', 'reply drafting', 'sentiment'];
const MODELS = [
  ['openai', 'gpt-4.1-mini'],
  ['anthropic', 'claude-sonnet-4-5'],
] as const;
const today = () => new Date().toISOString().slice(0, 10);
const RANGE = () => ({ from: new Date(Date.now() - 5 * DAY).toISOString().slice(0, 10), to: today() });

let database: DatabaseHandle;

/** A fixed draw of numbers in [0, 1), so every run logs the same latencies. */
function draws(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/**
 * Rows over the last five UTC days and today: each task on each model, latencies from 40 ms to about 40 s (a long
 * tail), some attempts without a latency (still pending), errors and retries among them.
 */
function logRows(): NewInferenceLog[] {
  const next = draws(11);
  const midnight = Math.floor(Date.now() / DAY) * DAY;
  const rows: NewInferenceLog[] = [];
  for (let daysAgo = 5; daysAgo >= 0; daysAgo--) {
    for (const name of TASKS) {
      for (const [provider, model] of MODELS) {
        for (let index = 0; index < 25; index++) {
          // Today's rows are already written (a second ago at most); earlier days' spread over their day.
          const createdAt = daysAgo === 0 ? Date.now() - 1_000 - index : midnight - daysAgo * DAY + next() * DAY;
          const pending = next() < 0.04;
          rows.push({
            id: randomUUID(),
            chain_id: randomUUID(),
            name,
            provider,
            model,
            status: pending ? 'pending' : next() < 0.1 ? 'error' : 'ok',
            attempt: next() < 0.1 ? 2 : 1,
            request: '{}',
            latency_ms: pending ? null : Math.round(40 * 1_000 ** next() * (next() < 0.05 ? 10 : 1)),
            cost_usd: (next() / 1_000).toFixed(8),
            created_at: new Date(createdAt),
          });
        }
      }
    }
  }
  return rows;
}

/**
 * p50 and p95 of each task and of each model over the range as the previous Stats page computed them: the raw rows'
 * histogram (one row per bucket, straight from the log), each bucket read as latency_bucket_middle_ms.
 */
async function latencyFromRawRows(range: { from: string; to: string }): Promise<StatsOverview['latency']> {
  const { rows } = await sql<{ name: string; provider: string; model: string; middle_ms: number; attempts: number }>`
    select name, provider, model, latency_bucket_middle_ms(latency_bucket(latency_ms)) as middle_ms, count(*)::int as attempts
    from inference_log
    where latency_ms is not null
      and created_at >= (${range.from}::date::timestamp at time zone 'UTC')
      and created_at < ((${range.to}::date + 1)::timestamp at time zone 'UTC')
    group by name, provider, model, latency_bucket(latency_ms)`.execute(database.db);
  const figures = (selected: typeof rows) => {
    const buckets = new Map<number, number>();
    for (const row of selected) buckets.set(row.middle_ms, (buckets.get(row.middle_ms) ?? 0) + row.attempts);
    const histogram: LatencyBucket[] = [...buckets]
      .sort(([left], [right]) => left - right)
      .map(([middleMs, attempts]) => ({ middleMs, attempts }));
    return {
      attempts: histogram.reduce((total, bucket) => total + bucket.attempts, 0),
      p50Ms: histogramPercentile(histogram, 0.5),
      p95Ms: histogramPercentile(histogram, 0.95),
    };
  };
  return {
    tasks: TASKS.map((name) => ({ name, ...figures(rows.filter((row) => row.name === name)) })),
    models: [...MODELS]
      .sort(([leftProvider], [rightProvider]) => (leftProvider < rightProvider ? -1 : 1))
      .map(([provider, model]) => ({
        provider,
        model,
        ...figures(rows.filter((row) => row.provider === provider && row.model === model)),
      })),
  };
}

beforeAll(async () => {
  database = await openTestDatabase();
  await database.db.insertInto('inference_log').values(logRows()).execute();
});
afterAll(() => database?.close());

describe('getStatsOverview latency percentiles', () => {
  it('equal those of the raw rows’ histogram, read from the log, from the daily histograms once rolled up, and with a day stale', async () => {
    const range = RANGE();
    const fromLog = await getStatsOverview(database.db, range);
    const expected = await latencyFromRawRows(range);
    expect(expected.tasks.every((task) => task.attempts > 100)).toBe(true);
    expect(fromLog.latency).toEqual(expected);

    const rolled = await rollUpTaskStats(database.db);
    // Five closed days; four in the first minutes after midnight, before yesterday counts as closed.
    expect(rolled.days).toBeGreaterThanOrEqual(4);
    // One row per closed day, task and model, each holding its histogram.
    const { rows } = await sql<{ rows: number; groups: number; attempts: number; logged: number; days: number }>`
      select (select count(*)::int from task_stats_daily) as rows,
             (select count(distinct (created_at at time zone 'UTC')::date)::int from inference_log
              where created_at < (select closed_before from task_stats_rollup)) as days,
             (select count(distinct (day, name, provider, model))::int from task_latency_buckets
              where day < (select closed_before from task_stats_rollup)) as groups,
             (select sum(histogram.attempts)::int from task_stats_daily as daily
              cross join lateral unnest(daily.latency_attempts) as histogram(attempts)) as attempts,
             (select count(latency_ms)::int from inference_log where created_at < (select closed_before from task_stats_rollup)) as logged`.execute(
      database.db,
    );
    expect(rows[0]).toEqual({
      days: rolled.days,
      rows: rows[0]?.groups,
      groups: rolled.days * TASKS.length * MODELS.length,
      attempts: rows[0]?.logged,
      logged: rows[0]?.logged,
    });
    const fromDailyHistograms = await getStatsOverview(database.db, range);
    expect(fromDailyHistograms.latency).toEqual(expected);
    expect(fromDailyHistograms).toEqual(fromLog);

    // A late row two days ago makes that day stale: read from the log again until the next roll-up.
    await database.db
      .insertInto('inference_log')
      .values({
        id: randomUUID(),
        chain_id: randomUUID(),
        name: 'sentiment',
        provider: 'openai',
        model: 'gpt-4.1-mini',
        status: 'ok',
        attempt: 1,
        request: '{}',
        latency_ms: 95_000,
        created_at: new Date(Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 3_600_000),
      })
      .execute();
    const stale = await getStatsOverview(database.db, range);
    const expectedWithLateRow = await latencyFromRawRows(range);
    expect(stale.latency).toEqual(expectedWithLateRow);
    expect(stale.latency).not.toEqual(expected);
    await rollUpTaskStats(database.db);
    expect((await getStatsOverview(database.db, range)).latency).toEqual(expectedWithLateRow);
  });
});
