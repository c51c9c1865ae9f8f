import { sql } from 'kysely';
import type { Db } from '../client.js';

/**
 * How long after a UTC day ends the roll-up closes it: far longer than a log writer's transaction (one statement),
 * so every row written before midnight has committed when the day is read (see the migration task-stats-rollup).
 */
export const TASK_STATS_GRACE_MS = 10 * 60_000;

export interface TaskStatsRollUpResult {
  /** Days written into the daily tables: newly closed ones and stale ones written again. */
  days: number;
  /** Of those, stale days (closed before, their rows changed since). */
  staleDays: number;
  /** Every log row created before this instant is now rolled up; null while nothing is (an empty log). */
  closedBefore: string | null;
}

/**
 * The setting a bulk load sets to 'off' for its own transactions, to mark the days it writes itself (see
 * lockTaskStats): the triggers that mark stale days then skip its rows, and go on marking other sessions' rows.
 */
export const TASK_STATS_STALE_SETTING = 'chainlog.task_stats_stale';

// The state table's oid: the advisory lock the triggers share (the migration's task_stats_mark_stale).
const LOCK = sql`pg_advisory_xact_lock('task_stats_rollup'::regclass::oid::bigint)`;
const DAILY_COLUMNS = sql`day, name, provider, model, calls, attempts, errors, p50_ms, p95_ms, input_tokens, output_tokens, cost_usd`;

/**
 * Writes task_stats' closed UTC days, with their latency histograms, into task_stats_daily: every day from the last roll-up
 * to the one that ended TASK_STATS_GRACE_MS ago, and every stale day again, from the log's rows, in one transaction.
 * Until then task_stats reads those days from the log itself, so this changes how fast task_stats is, never what it
 * says. Idempotent; concurrent callers (several instances) take turns.
 */
export async function rollUpTaskStats(db: Db): Promise<TaskStatsRollUpResult> {
  return db.transaction().execute((transaction) => rollUpTaskStatsIn(transaction));
}

/**
 * Takes the roll-up's lock for the rest of the caller's transaction: the triggers that mark stale days wait for it.
 * A bulk load that switches them off (TASK_STATS_STALE_SETTING = 'off') marks its days itself while it holds it.
 */
export async function lockTaskStats(transaction: Db): Promise<void> {
  await sql`select ${LOCK}`.execute(transaction);
}

/** rollUpTaskStats in the caller's transaction (the seed's): the lock is held until that commits. */
export async function rollUpTaskStatsIn(transaction: Db): Promise<TaskStatsRollUpResult> {
  await lockTaskStats(transaction);
  // Read as text: '-infinity' is no JS Date, and the instant goes back into SQL as it came.
  const { rows } = await sql<{ from_at: string; to_at: string; stale: number }>`
    select closed_before::text as from_at,
           greatest(closed_before, date_trunc('day', (clock_timestamp() - ${TASK_STATS_GRACE_MS} * interval '1 millisecond') at time zone 'UTC') at time zone 'UTC')::text as to_at,
           (select count(*)::int from task_stats_stale_day where day < closed_before) as stale
    from task_stats_rollup`.execute(transaction);
  const state = rows[0];
  if (!state) throw new Error('task_stats_rollup has no row: the migration task-stats-rollup did not run');
  const from = sql`${state.from_at}::timestamptz`;
  const to = sql`${state.to_at}::timestamptz`;
  const rewritten = sql`(select day from task_stats_stale_day where day < ${from})`;
  // Rows at or after the old boundary were never read; any there (a roll-up rolled back halfway) are replaced.
  await sql`delete from task_stats_daily where day in ${rewritten} or day >= ${from}`.execute(transaction);
  // Each day's latency histogram goes in its row (empty arrays for a group none of whose attempts has a latency).
  await sql`
    with closed as (
      select * from task_stats_between(${from}, ${to})
      union all
      select live.*
      from task_stats_stale_day as stale cross join lateral task_stats_between(stale.day, stale.day + interval '1 day') as live
      where stale.day < ${from}
    ), histograms as (
      select live.day, live.name, live.provider, live.model, live.latency_buckets, live.latency_attempts
      from task_stats_histograms_between(${from}, ${to}) as live
      union all
      select live.day, live.name, live.provider, live.model, live.latency_buckets, live.latency_attempts
      from task_stats_stale_day as stale
      cross join lateral task_stats_histograms_between(stale.day, stale.day + interval '1 day') as live
      where stale.day < ${from}
    )
    insert into task_stats_daily (${DAILY_COLUMNS}, latency_buckets, latency_attempts)
    select ${DAILY_COLUMNS}, coalesce(histograms.latency_buckets, '{}'), coalesce(histograms.latency_attempts, '{}')
    from closed left join histograms using (day, name, provider, model)`.execute(transaction);
  const { rows: days } = await sql<{ days: number }>`
    select count(distinct day)::int as days from task_stats_daily where day in ${rewritten} or day >= ${from}`.execute(
    transaction,
  );
  await sql`delete from task_stats_stale_day`.execute(transaction);
  await sql`update task_stats_rollup set closed_before = ${to}`.execute(transaction);
  const closed = await sql<{ closed_before: string | null }>`
    select case when closed_before = '-infinity' then null else to_char(closed_before at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') end as closed_before
    from task_stats_rollup`.execute(transaction);
  return {
    days: days[0]?.days ?? 0,
    staleDays: state.stale,
    closedBefore: closed.rows[0]?.closed_before ?? null,
  };
}
