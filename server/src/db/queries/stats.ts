import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../client.js';

/** UTC days, both inclusive, as `YYYY-MM-DD`; an optional task name and model narrow every figure. */
export interface StatsRange {
  from: string;
  to: string;
  name?: string | undefined;
  model?: string | undefined;
}

/** One day's sums for one task name (provider and model null) or one model (name null). */
export interface DailyStatsRow {
  day: string;
  name: string | null;
  provider: string | null;
  model: string | null;
  calls: number;
  attempts: number;
  errors: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
}

/**
 * One day's latency histogram of one task on one model: the buckets that hold attempts, in order (16 per doubling,
 * each 4.4 % wide), and how many attempts each holds.
 */
export interface LatencyHistogramRow {
  name: string;
  provider: string;
  model: string;
  latency_buckets: number[];
  latency_attempts: number[];
}

// Midnight UTC of the first day, and of the day after the last: the same instants task_stats.day holds. The dates are
// cast in SQL rather than sent as JS Dates, whose ISO text PGlite cannot read past year 9999.
const startOf = (range: StatsRange) => sql<Date>`(${range.from}::date::timestamp at time zone 'UTC')`;
const endOf = (range: StatsRange) => sql<Date>`((${range.to}::date + 1)::timestamp at time zone 'UTC')`;

function narrowing(range: StatsRange): RawBuilder<unknown> {
  return sql.join(
    [
      ...(range.name === undefined ? [] : [sql`name = ${range.name}`]),
      ...(range.model === undefined ? [] : [sql`model = ${range.model}`]),
    ].map((condition) => sql`and ${condition}`),
    sql` `,
  );
}

/** readDailyStatsAndHistograms's statement, which the analyst bench explains. */
export function dailyStatsAndHistograms(range: StatsRange) {
  return sql<({ kind: 'day' } & DailyStatsRow) | ({ kind: 'histogram' } & LatencyHistogramRow)>`
    with days as materialized (
      select * from task_stats_histograms
      where day >= ${startOf(range)} and day < ${endOf(range)} ${narrowing(range)}
    )
    select 'day' as kind,
           to_char(day at time zone 'UTC', 'YYYY-MM-DD') as day,
           case when grouping(name) = 0 then name end as name,
           case when grouping(model) = 0 then provider end as provider,
           case when grouping(model) = 0 then model end as model,
           sum(calls)::int as calls,
           sum(attempts)::int as attempts,
           sum(errors)::int as errors,
           coalesce(sum(cost_usd), 0)::double precision as cost_usd,
           coalesce(sum(input_tokens), 0)::double precision as input_tokens,
           coalesce(sum(output_tokens), 0)::double precision as output_tokens,
           null::smallint[] as latency_buckets,
           null::int[] as latency_attempts
    from days
    group by grouping sets ((day, name), (day, provider, model))
    union all
    select 'histogram', null, name, provider, model, null, null, null, null, null, null, latency_buckets, latency_attempts
    from days
    where cardinality(latency_buckets) > 0`;
}

/** What readDailyStatsAndHistograms reads. */
export interface DailyStatsAndHistograms {
  daily: DailyStatsRow[];
  histograms: LatencyHistogramRow[];
}

/**
 * Per day: sums by task name and by model (grouping sets), and each day's latency histogram of each task on each model,
 * to be added up over the range by the caller: percentiles of days do not add up to the percentile of their range,
 * but their histograms do. Read in one statement from task_stats_histograms, which gives closed days from the daily
 * totals (one row per day, task and model) and reads the log's rows of the rest (today) once for both. The day
 * predicate is on the view's grouping column, so it is applied to the log's rows before they are grouped.
 *
 * The histograms are not added up here: one row per bucket (unnest, then a hash aggregate over 53,000 of them for
 * 30 days at a million log rows) took longer than the rest of the statement, against a millisecond in JavaScript.
 */
export async function readDailyStatsAndHistograms(db: Db, range: StatsRange): Promise<DailyStatsAndHistograms> {
  const { rows } = await dailyStatsAndHistograms(range).execute(db);
  return {
    daily: rows.flatMap((row) => (row.kind === 'day' ? [row] : [])),
    histograms: rows.flatMap((row) => (row.kind === 'histogram' ? [row] : [])),
  };
}

/**
 * The middle of each bucket in milliseconds, as latency_bucket_middle_ms gives it (a numeric power, which JavaScript's
 * Math.pow does not reproduce to the last bit).
 */
export async function readLatencyBucketMiddles(db: Db, buckets: readonly number[]): Promise<Map<number, number>> {
  if (buckets.length === 0) return new Map();
  const { rows } = await sql<{ bucket: number; middle_ms: number }>`
    select bucket, latency_bucket_middle_ms(bucket) as middle_ms from unnest(${[...buckets]}::smallint[]) as bucket`.execute(
    db,
  );
  return new Map(rows.map((row) => [row.bucket, row.middle_ms]));
}
