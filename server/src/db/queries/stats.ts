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

/** Attempts in one latency bucket over the whole range, for one task name (provider and model null) or one model. */
export interface LatencyBucketRow {
  name: string | null;
  provider: string | null;
  model: string | null;
  /** The geometric middle of the bucket (each is 4.4 % wide), in milliseconds. */
  middle_ms: number;
  attempts: number;
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

/**
 * Per day: sums by task name and by model, read from the task_stats view in one pass (grouping sets). Only sums are
 * selected, so PostgreSQL leaves the view's percentiles uncomputed. The day predicate is on the view's grouping
 * column, so it is applied to the log's rows before they are grouped.
 */
export async function readDailyStats(db: Db, range: StatsRange): Promise<DailyStatsRow[]> {
  const { rows } = await sql<DailyStatsRow>`
    select to_char(day at time zone 'UTC', 'YYYY-MM-DD') as day,
           case when grouping(name) = 0 then name end as name,
           case when grouping(model) = 0 then provider end as provider,
           case when grouping(model) = 0 then model end as model,
           sum(calls)::int as calls,
           sum(attempts)::int as attempts,
           sum(errors)::int as errors,
           coalesce(sum(cost_usd), 0)::double precision as cost_usd,
           coalesce(sum(input_tokens), 0)::double precision as input_tokens,
           coalesce(sum(output_tokens), 0)::double precision as output_tokens
    from task_stats
    where day >= ${startOf(range)} and day < ${endOf(range)} ${narrowing(range)}
    group by grouping sets ((day, name), (day, provider, model))
    order by 1, 2, 3, 4`.execute(db);
  return rows;
}

/**
 * The latency histogram of the whole range by task name and by model, buckets in order: percentiles of days do not add
 * up to the percentile of their range, but their histograms do. From task_latency_buckets, which reads closed days
 * from the daily totals and the rest from the log (every attempt that has a latency, retries and errors included).
 */
export async function readLatencyBuckets(db: Db, range: StatsRange): Promise<LatencyBucketRow[]> {
  const { rows } = await sql<LatencyBucketRow>`
    select case when grouping(name) = 0 then name end as name,
           case when grouping(model) = 0 then provider end as provider,
           case when grouping(model) = 0 then model end as model,
           latency_bucket_middle_ms(bucket) as middle_ms,
           sum(attempts)::int as attempts
    from task_latency_buckets
    where day >= ${startOf(range)} and day < ${endOf(range)} ${narrowing(range)}
    group by grouping sets ((name, bucket), (provider, model, bucket))
    order by 1, 2, 3, bucket`.execute(db);
  return rows;
}
