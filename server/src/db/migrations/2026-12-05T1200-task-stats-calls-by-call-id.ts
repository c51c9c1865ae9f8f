import { type Kysely, type RawBuilder, sql } from 'kysely';

// task_stats (and the Stats page, task_stats_histograms, the daily totals) counted a call as an attempt numbered 1;
// chain_summary, chains.list, chains.get and the cookbook count the rows that start a call, `coalesce(call_id, id) =
// id`, since the log has call_id. The two differ for a retry whose earlier attempts are gone (deleted, or never
// written by the process that died): one call in chain_summary, none in task_stats. Both functions that read the log
// for the statistics now count as chain_summary does, and the daily totals already rolled up are corrected by the
// rows the two rules tell apart (a scan of the log that groups only those).
//
// latency_bucket(null) was -160 (greatest() passes over a null): the histograms, which leave out a null bucket, held a
// bucket of 0 attempts for every day, task and model with an attempt without a latency (pending, or failed before the
// provider answered). It is now null, and the daily totals drop their empty buckets. Not declared strict, so the
// planner still inlines it.

const DAY_OF = (column: string) => sql.raw(`date_trunc('day', ${column} at time zone 'UTC') at time zone 'UTC'`);

const latencyBucket = (orNull: boolean) => sql`
    create or replace function latency_bucket(latency_ms double precision) returns smallint
    language sql immutable parallel safe as $$
      select ${orNull ? sql`case when latency_ms is not null then ` : sql``}floor(ln(least(greatest(latency_ms, 0.001), 1e12)) * 16 / ln(2))::smallint${orNull ? sql` end` : sql``}
    $$`;

const taskStatsBetween = (calls: RawBuilder<unknown>) => sql`
    create or replace function task_stats_between(from_at timestamptz, to_at timestamptz)
    returns table (day timestamptz, name text, provider text, model text, calls int, attempts int, errors int,
                   error_rate double precision, p50_ms double precision, p95_ms double precision, input_tokens bigint,
                   output_tokens bigint, cost_usd numeric)
    language sql stable as $$
      select ${DAY_OF('created_at')} as day, name, provider, model,
             count(*) filter (where ${calls})::int as calls,
             count(*)::int as attempts,
             count(*) filter (where status = 'error')::int as errors,
             (count(*) filter (where status = 'error'))::double precision / count(*) as error_rate,
             percentile_cont(0.5) within group (order by latency_ms) as p50_ms,
             percentile_cont(0.95) within group (order by latency_ms) as p95_ms,
             sum(input_tokens)::bigint as input_tokens,
             sum(output_tokens)::bigint as output_tokens,
             sum(cost_usd) as cost_usd
      from inference_log
      where created_at >= from_at and created_at < to_at
      group by 1, name, provider, model
    $$`;

const taskStatsHistogramsBetween = (calls: RawBuilder<unknown>) => sql`
    create or replace function task_stats_histograms_between(from_at timestamptz, to_at timestamptz)
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
               count(*) filter (where ${calls}) as calls,
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
    $$`;

const STARTS_A_CALL = sql`coalesce(call_id, id) = id`;
const NUMBERED_ONE = sql`attempt = 1`;

/**
 * Moves the rolled-up days' calls from one rule to the other: each row the two rules tell apart adds one call where
 * `to` counts it and takes one away where `from` did. The roll-up's lock is taken first, in a statement of its own (a
 * statement's snapshot is taken before a lock it waits for): a roll-up of another instance, still on the old rule,
 * either committed before this reads or waits for the migration's transaction to end.
 */
async function recountRolledUpCalls(db: Kysely<any>, to: RawBuilder<unknown>, from: RawBuilder<unknown>) {
  await sql`select pg_advisory_xact_lock('task_stats_rollup'::regclass::oid::bigint)`.execute(db);
  await sql`
    with moved as (
      select ${DAY_OF('log.created_at')} as day, log.name, log.provider, log.model,
             sum(case when ${to} then 1 else -1 end)::int as calls
      from inference_log as log, task_stats_rollup as state
      where log.created_at < state.closed_before and (${to}) <> (${from})
      group by 1, log.name, log.provider, log.model
    )
    update task_stats_daily as daily set calls = daily.calls + moved.calls
    from moved
    where (daily.day, daily.name, daily.provider, daily.model) = (moved.day, moved.name, moved.provider, moved.model)`.execute(
    db,
  );
}

export async function up(db: Kysely<any>): Promise<void> {
  await latencyBucket(true).execute(db);
  await taskStatsBetween(STARTS_A_CALL).execute(db);
  await taskStatsHistogramsBetween(STARTS_A_CALL).execute(db);
  await recountRolledUpCalls(db, STARTS_A_CALL, NUMBERED_ONE);
  await sql`
    update task_stats_daily as daily
    set (latency_buckets, latency_attempts) = (
      select coalesce(array_agg(histogram.bucket order by histogram.bucket), '{}'),
             coalesce(array_agg(histogram.attempts order by histogram.bucket), '{}')
      from unnest(daily.latency_buckets, daily.latency_attempts) as histogram(bucket, attempts)
      where histogram.attempts > 0)
    where 0 = any(daily.latency_attempts)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await recountRolledUpCalls(db, NUMBERED_ONE, STARTS_A_CALL);
  await taskStatsHistogramsBetween(NUMBERED_ONE).execute(db);
  await taskStatsBetween(NUMBERED_ONE).execute(db);
  // The empty buckets the daily totals held are not made again: a histogram reads the same without them.
  await latencyBucket(false).execute(db);
}
