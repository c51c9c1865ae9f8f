import { type Kysely, type RawBuilder, sql } from 'kysely';

// The daily latency histograms, one row per day, task and model instead of one per bucket: the Stats page's p50/p95
// over 30 days read 53,139 rows of task_latency_daily at a million log rows (a bitmap heap scan, then an anti join
// against the stale days per row), and summed them in a hash aggregate. Each row of task_stats_daily now carries its
// day's histogram as two arrays of the same length: the buckets that hold attempts, in order, and their attempts
// (sparse: a day's latencies fill about 45 of the buckets between its fastest and its slowest). The same 30 days are
// 1,044 rows, which the Stats page adds up itself (services/stats.ts).
//
// task_stats_histograms is task_stats with that histogram in place of the percentiles, read the same way: closed days
// from task_stats_daily, today and stale days from the log, whose rows it reads once for the sums and the histogram
// (the Stats page read today's rows twice, once for each). task_latency_buckets keeps its columns and its figures, one
// row per bucket, unnested from it.

const DAY_OF = (column: string) => sql.raw(`date_trunc('day', ${column} at time zone 'UTC') at time zone 'UTC'`);

const CLOSED = sql`daily.day < (select closed_before from task_stats_rollup)
        and not exists (select 1 from task_stats_stale_day as stale where stale.day = daily.day)`;

const truncatedFunction = (emptied: RawBuilder<unknown>) => sql`
    create or replace function task_stats_truncated() returns trigger
    language plpgsql set search_path from current as $$
    begin
      perform pg_advisory_xact_lock('task_stats_rollup'::regclass::oid::bigint);
      ${emptied}
      delete from task_stats_stale_day;
      update task_stats_rollup set closed_before = '-infinity';
      return null;
    end
    $$`;

export async function up(db: Kysely<any>): Promise<void> {
  // Constant defaults: no rewrite of the table.
  await sql`
    alter table task_stats_daily
      add column latency_buckets smallint[] not null default '{}',
      add column latency_attempts integer[] not null default '{}'`.execute(db);
  // The log's rows of [from_at, to_at) by UTC day, task, provider and model: task_stats_between's sums, and the
  // histogram task_latency_between gives, in one pass (grouped by bucket first). Inlined into the queries that call it.
  await sql`
    create function task_stats_histograms_between(from_at timestamptz, to_at timestamptz)
    returns table (day timestamptz, name text, provider text, model text, calls int, attempts int, errors int,
                   input_tokens bigint, output_tokens bigint, cost_usd numeric, latency_buckets smallint[],
                   latency_attempts int[])
    language sql stable as $$
      select day, name, provider, model, sum(calls)::int, sum(attempts)::int, sum(errors)::int,
             sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost_usd),
             coalesce(array_agg(bucket order by bucket) filter (where bucket is not null), '{}'),
             coalesce(array_agg(bucket_attempts order by bucket) filter (where bucket is not null), '{}')
      from (
        select ${DAY_OF('created_at')} as day, name, provider, model, latency_bucket(latency_ms) as bucket,
               count(*) filter (where attempt = 1) as calls,
               count(*) as attempts,
               count(*) filter (where status = 'error') as errors,
               sum(input_tokens) as input_tokens,
               sum(output_tokens) as output_tokens,
               sum(cost_usd) as cost_usd,
               count(latency_ms)::int as bucket_attempts
        from inference_log
        where created_at >= from_at and created_at < to_at
        group by 1, name, provider, model, 5
      ) as by_bucket
      group by day, name, provider, model
    $$`.execute(db);
  await sql`
    update task_stats_daily as daily
    set latency_buckets = histogram.buckets, latency_attempts = histogram.attempts
    from (
      select day, name, provider, model, array_agg(bucket order by bucket) as buckets,
             array_agg(attempts order by bucket) as attempts
      from task_latency_daily group by day, name, provider, model
    ) as histogram
    where (histogram.day, histogram.name, histogram.provider, histogram.model) = (daily.day, daily.name, daily.provider, daily.model)`.execute(
    db,
  );
  await sql`
    create view task_stats_histograms as
    select days.day, days.name, days.provider, days.model, days.calls, days.attempts, days.errors, days.input_tokens,
           days.output_tokens, days.cost_usd, days.latency_buckets, days.latency_attempts
    from (
      select daily.day, daily.name, daily.provider, daily.model, daily.calls, daily.attempts, daily.errors,
             daily.input_tokens, daily.output_tokens, daily.cost_usd, daily.latency_buckets, daily.latency_attempts
      from task_stats_daily as daily
      where ${CLOSED}
      union all
      select live.* from task_stats_rollup as state
      cross join lateral task_stats_histograms_between(state.closed_before, 'infinity') as live
      union all
      select live.* from task_stats_rollup as state join task_stats_stale_day as stale on stale.day < state.closed_before
      cross join lateral task_stats_histograms_between(stale.day, stale.day + interval '1 day') as live
    ) as days`.execute(db);
  // Same columns, same order, same types: create or replace keeps the grants an analyst role holds on it.
  await sql`
    create or replace view task_latency_buckets as
    select days.day, days.name, days.provider, days.model, bucket.bucket, bucket.attempts
    from task_stats_histograms as days
    cross join lateral unnest(days.latency_buckets, days.latency_attempts) as bucket(bucket, attempts)`.execute(
    db,
  );
  await truncatedFunction(sql`delete from task_stats_daily;`).execute(db);
  await db.schema.dropTable('task_latency_daily').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_latency_daily')
    .addColumn('day', 'timestamptz', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('bucket', 'smallint', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint('task_latency_daily_pkey', ['day', 'name', 'provider', 'model', 'bucket'])
    .execute();
  await sql`
    insert into task_latency_daily (day, name, provider, model, bucket, attempts)
    select daily.day, daily.name, daily.provider, daily.model, bucket.bucket, bucket.attempts
    from task_stats_daily as daily
    cross join lateral unnest(daily.latency_buckets, daily.latency_attempts) as bucket(bucket, attempts)`.execute(db);
  await truncatedFunction(sql`delete from task_stats_daily; delete from task_latency_daily;`).execute(db);
  // The view as 2026-12-03T2200-task-stats-rollup made it.
  await sql`
    create or replace view task_latency_buckets as
    select buckets.day, buckets.name, buckets.provider, buckets.model, buckets.bucket, buckets.attempts
    from (
      select daily.day, daily.name, daily.provider, daily.model, daily.bucket, daily.attempts
      from task_latency_daily as daily
      where ${CLOSED}
      union all
      select live.* from task_stats_rollup as state cross join lateral task_latency_between(state.closed_before, 'infinity') as live
      union all
      select live.* from task_stats_rollup as state join task_stats_stale_day as stale on stale.day < state.closed_before
      cross join lateral task_latency_between(stale.day, stale.day + interval '1 day') as live
    ) as buckets`.execute(db);
  await sql`drop view task_stats_histograms`.execute(db);
  await sql`drop function task_stats_histograms_between(timestamptz, timestamptz)`.execute(db);
  await sql`alter table task_stats_daily drop column latency_buckets, drop column latency_attempts`.execute(db);
}
