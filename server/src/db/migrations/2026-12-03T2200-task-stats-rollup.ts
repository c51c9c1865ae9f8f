import { type Kysely, sql } from 'kysely';

// task_stats from daily totals: aggregating the log for every read took 1.4 s for 30 days of a million rows (and
// 2.6 s more for the Stats page's percentiles over the range). Now closed UTC days are read from task_stats_daily,
// written once by a roll-up (db/queries/task-stats-rollup.ts, run by the server every few minutes and by the seed);
// the days since the last roll-up, and closed days whose rows changed since, are aggregated from the log as before.
// The view keeps its columns and its exact figures, percentiles included (a day is rolled up from its rows).
//
// Keeping closed days right: a row whose day is already rolled up (a call that finishes after its day closed, a late
// insert, the instance reaper's update, a delete) marks its day stale in task_stats_stale_day, and a stale day is read
// from the log until the next roll-up writes it again. The triggers that mark it fire only for rows from before
// today (UTC), a comparison in the trigger's WHEN: the log writer's statements, whose rows are today's, run no trigger
// function at all (bench:log-write measures it). The roll-up closes a day only TASK_STATS_GRACE after it ended, so a
// writer's transaction that began before midnight has long committed, and it holds an advisory lock that the trigger
// function shares: a late row either commits before the roll-up reads the log, or sees the day closed and marks it.
//
// Latency over a range (the Stats page's p50/p95 by task and by model for 30 days) cannot be added up from daily
// percentiles, so each day also keeps a histogram: attempts per latency bucket, 16 buckets per doubling (each 4.4 %
// wide; its geometric middle is within 2.2 % of any latency in it). task_latency_buckets reads it like task_stats.

const DAY_OF = (column: string) => sql.raw(`date_trunc('day', ${column} at time zone 'UTC') at time zone 'UTC'`);
// Rows from before the current UTC day, by the database's clock when the row is written.
const BEFORE_TODAY = (row: 'new' | 'old') =>
  sql.raw(`${row}.created_at < date_trunc('day', clock_timestamp() at time zone 'UTC') at time zone 'UTC'`);
// A bulk load (the seed) that marks the days it writes itself, holding the roll-up's lock, turns the triggers off for
// its transaction with set local chainlog.task_stats_stale = 'off'.
const MARKING = sql.raw(`current_setting('chainlog.task_stats_stale', true) is distinct from 'off'`);

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_stats_daily')
    .addColumn('day', 'timestamptz', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('calls', 'integer', (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull())
    .addColumn('errors', 'integer', (column) => column.notNull())
    .addColumn('p50_ms', 'double precision')
    .addColumn('p95_ms', 'double precision')
    .addColumn('input_tokens', 'bigint')
    .addColumn('output_tokens', 'bigint')
    .addColumn('cost_usd', 'numeric')
    .addPrimaryKeyConstraint('task_stats_daily_pkey', ['day', 'name', 'provider', 'model'])
    .execute();
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
  // One row: every log row created before closed_before is in the daily tables (or its day is stale).
  await sql`
    create table task_stats_rollup (
      one_row boolean primary key default true check (one_row),
      closed_before timestamptz not null
    )`.execute(db);
  await sql`insert into task_stats_rollup (closed_before) values ('-infinity')`.execute(db);
  await sql`create table task_stats_stale_day (day timestamptz primary key)`.execute(db);

  await sql`
    create function latency_bucket(latency_ms double precision) returns smallint
    language sql immutable parallel safe as $$
      select floor(ln(least(greatest(latency_ms, 0.001), 1e12)) * 16 / ln(2))::smallint
    $$`.execute(db);
  await sql`
    create function latency_bucket_middle_ms(bucket smallint) returns double precision
    language sql immutable parallel safe as $$
      select power(2, (bucket + 0.5) / 16)
    $$`.execute(db);

  // What task_stats was: the log's rows of [from_at, to_at) grouped by UTC day, task, provider and model. Inlined into
  // the queries that call it, so its range is the created_at index's.
  await sql`
    create function task_stats_between(from_at timestamptz, to_at timestamptz)
    returns table (day timestamptz, name text, provider text, model text, calls int, attempts int, errors int,
                   error_rate double precision, p50_ms double precision, p95_ms double precision, input_tokens bigint,
                   output_tokens bigint, cost_usd numeric)
    language sql stable as $$
      select ${DAY_OF('created_at')} as day, name, provider, model,
             count(*) filter (where attempt = 1)::int as calls,
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
    $$`.execute(db);
  await sql`
    create function task_latency_between(from_at timestamptz, to_at timestamptz)
    returns table (day timestamptz, name text, provider text, model text, bucket smallint, attempts int)
    language sql stable as $$
      select ${DAY_OF('created_at')} as day, name, provider, model, latency_bucket(latency_ms) as bucket, count(*)::int as attempts
      from inference_log
      where created_at >= from_at and created_at < to_at and latency_ms is not null
      group by 1, name, provider, model, 5
    $$`.execute(db);

  // Same columns, same order, same types: create or replace keeps the grants an analyst role holds on it.
  await sql`
    create or replace view task_stats as
    select daily.day, daily.name, daily.provider, daily.model, daily.calls, daily.attempts, daily.errors,
           daily.errors::double precision / daily.attempts as error_rate,
           daily.p50_ms, daily.p95_ms, daily.input_tokens, daily.output_tokens, daily.cost_usd
    from task_stats_daily as daily
    where daily.day < (select closed_before from task_stats_rollup)
      and not exists (select 1 from task_stats_stale_day as stale where stale.day = daily.day)
    union all
    select live.* from task_stats_rollup as state cross join lateral task_stats_between(state.closed_before, 'infinity') as live
    union all
    select live.* from task_stats_rollup as state join task_stats_stale_day as stale on stale.day < state.closed_before
    cross join lateral task_stats_between(stale.day, stale.day + interval '1 day') as live`.execute(db);
  await sql`
    create view task_latency_buckets as
    select buckets.day, buckets.name, buckets.provider, buckets.model, buckets.bucket, buckets.attempts
    from (
      select daily.day, daily.name, daily.provider, daily.model, daily.bucket, daily.attempts
      from task_latency_daily as daily
      where daily.day < (select closed_before from task_stats_rollup)
        and not exists (select 1 from task_stats_stale_day as stale where stale.day = daily.day)
      union all
      select live.* from task_stats_rollup as state cross join lateral task_latency_between(state.closed_before, 'infinity') as live
      union all
      select live.* from task_stats_rollup as state join task_stats_stale_day as stale on stale.day < state.closed_before
      cross join lateral task_latency_between(stale.day, stale.day + interval '1 day') as live
    ) as buckets`.execute(db);

  // The advisory lock's key is the state table's oid: one per schema, the same for the trigger and the roll-up.
  // search_path is fixed to the migration's, so the function finds its tables whoever writes the log.
  await sql`
    create function task_stats_mark_stale() returns trigger
    language plpgsql set search_path from current as $$
    declare
      closed timestamptz;
    begin
      perform pg_advisory_xact_lock_shared('task_stats_rollup'::regclass::oid::bigint);
      select closed_before into closed from task_stats_rollup;
      if tg_op in ('UPDATE', 'DELETE') and old.created_at < closed then
        insert into task_stats_stale_day (day) values (${DAY_OF('old.created_at')}) on conflict do nothing;
      end if;
      if tg_op in ('INSERT', 'UPDATE') and new.created_at < closed then
        insert into task_stats_stale_day (day) values (${DAY_OF('new.created_at')}) on conflict do nothing;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger task_stats_stale_after_insert after insert on inference_log
    for each row when (${BEFORE_TODAY('new')} and ${MARKING}) execute function task_stats_mark_stale()`.execute(db);
  await sql`
    create trigger task_stats_stale_after_update after update on inference_log
    for each row when ((${BEFORE_TODAY('old')} or ${BEFORE_TODAY('new')}) and ${MARKING}) execute function task_stats_mark_stale()`.execute(db);
  await sql`
    create trigger task_stats_stale_after_delete after delete on inference_log
    for each row when (${BEFORE_TODAY('old')} and ${MARKING}) execute function task_stats_mark_stale()`.execute(db);
  // An emptied log empties its totals.
  await sql`
    create function task_stats_truncated() returns trigger
    language plpgsql set search_path from current as $$
    begin
      perform pg_advisory_xact_lock('task_stats_rollup'::regclass::oid::bigint);
      delete from task_stats_daily;
      delete from task_latency_daily;
      delete from task_stats_stale_day;
      update task_stats_rollup set closed_before = '-infinity';
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger task_stats_after_truncate after truncate on inference_log
    for each statement execute function task_stats_truncated()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger task_stats_after_truncate on inference_log`.execute(db);
  await sql`drop trigger task_stats_stale_after_delete on inference_log`.execute(db);
  await sql`drop trigger task_stats_stale_after_update on inference_log`.execute(db);
  await sql`drop trigger task_stats_stale_after_insert on inference_log`.execute(db);
  await sql`drop function task_stats_truncated()`.execute(db);
  await sql`drop function task_stats_mark_stale()`.execute(db);
  await sql`drop view task_latency_buckets`.execute(db);
  // The view as 2026-12-03T1000-analyst-views made it.
  await sql`
    create or replace view task_stats as
    select
      ${DAY_OF('created_at')} as day,
      name,
      provider,
      model,
      count(*) filter (where attempt = 1)::int as calls,
      count(*)::int as attempts,
      count(*) filter (where status = 'error')::int as errors,
      (count(*) filter (where status = 'error'))::double precision / count(*) as error_rate,
      percentile_cont(0.5) within group (order by latency_ms) as p50_ms,
      percentile_cont(0.95) within group (order by latency_ms) as p95_ms,
      sum(input_tokens)::bigint as input_tokens,
      sum(output_tokens)::bigint as output_tokens,
      sum(cost_usd) as cost_usd
    from inference_log
    group by 1, name, provider, model`.execute(db);
  await sql`drop function task_latency_between(timestamptz, timestamptz)`.execute(db);
  await sql`drop function task_stats_between(timestamptz, timestamptz)`.execute(db);
  await sql`drop function latency_bucket_middle_ms(smallint)`.execute(db);
  await sql`drop function latency_bucket(double precision)`.execute(db);
  await db.schema.dropTable('task_stats_stale_day').execute();
  await db.schema.dropTable('task_stats_rollup').execute();
  await db.schema.dropTable('task_latency_daily').execute();
  await db.schema.dropTable('task_stats_daily').execute();
}
