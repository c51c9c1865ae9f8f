import { sql } from 'kysely';
import type { Db } from '../src/db/client.js';

/** Whether task_stats_daily holds what the log gives for every closed day, latency histograms included. */
export async function dailyTotalsBesideLog(db: Db): Promise<{ same: boolean | undefined; days: number }> {
  const { rows } = await sql<{ same: boolean; days: number }>`
    with closed as (select closed_before from task_stats_rollup),
         daily as (select day, name, provider, model, calls, attempts, errors, p50_ms, p95_ms, input_tokens, output_tokens, cost_usd
                   from task_stats_daily),
         logged as (select day, name, provider, model, calls, attempts, errors, p50_ms, p95_ms, input_tokens, output_tokens, cost_usd
                    from task_stats_between('-infinity', (select closed_before from closed))),
         buckets as (select daily.day, daily.name, daily.provider, daily.model, histogram.bucket, histogram.attempts
                     from task_stats_daily as daily
                     cross join lateral unnest(daily.latency_buckets, daily.latency_attempts) as histogram(bucket, attempts)),
         logged_buckets as (select * from task_latency_between('-infinity', (select closed_before from closed)))
    select not exists (select * from daily except all select * from logged)
           and not exists (select * from logged except all select * from daily)
           and not exists (select * from buckets except all select * from logged_buckets)
           and not exists (select * from logged_buckets except all select * from buckets) as same,
           (select count(distinct day)::int from task_stats_daily) as days`.execute(db);
  return { same: rows[0]?.same, days: rows[0]?.days ?? 0 };
}
