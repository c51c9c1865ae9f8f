import type { ChainStatus } from '@chainlog/shared';
import type { ColumnType, Selectable } from 'kysely';

/** Read-only: a view's column can be selected, never inserted or updated. */
type ReadOnly<T> = ColumnType<T, never, never>;
/** numeric (cost): a string on both pg and PGlite, so no precision is lost. */
type Numeric = ReadOnly<string | null>;
/** int8 sums: a string on pg, a number (a bigint when huge) on PGlite; convert with Number() or BigInt(). */
type Int8 = ReadOnly<string | number | bigint | null>;

/**
 * The `chain_summary` view: one row per chain_id found in inference_log, every attempt counted. Chains with no
 * `chain` row (calls made by `npm run ask` or a user's own code) take the name of their first step and a status
 * derived from the log (chains.get and chains.list read it here): running while an attempt is pending, failed when a
 * call failed for good (an attempt failed and no later attempt of its call, inference_log.call_id, followed), else
 * succeeded.
 */
export interface ChainSummaryView {
  chain_id: ReadOnly<string>;
  name: ReadOnly<string>;
  status: ReadOnly<ChainStatus>;
  /** The chain row's input; null when there is no chain row. */
  input: ReadOnly<unknown | null>;
  first_call_at: ReadOnly<Date>;
  /** When the last attempt finished (or started, while it is pending). */
  last_call_at: ReadOnly<Date>;
  /** last_call_at − first_call_at, in milliseconds. */
  wall_ms: ReadOnly<number>;
  /** Logical calls: the attempts that started one (`coalesce(call_id, id) = id`). */
  calls: ReadOnly<number>;
  /** Every row, retries included. */
  attempts: ReadOnly<number>;
  errors: ReadOnly<number>;
  input_tokens: ReadOnly<number | null>;
  output_tokens: ReadOnly<number | null>;
  cost_usd: Numeric;
  /** The task name whose attempts, summed, took longest. */
  slowest_step: ReadOnly<string>;
  slowest_step_ms: ReadOnly<number | null>;
  has_chain_row: ReadOnly<boolean>;
}

/** The `task_stats` view: one row per UTC day, task name, provider and model; every attempt counted. */
export interface TaskStatsView {
  /** Midnight UTC of the day. */
  day: ReadOnly<Date>;
  name: ReadOnly<string>;
  provider: ReadOnly<string>;
  model: ReadOnly<string>;
  calls: ReadOnly<number>;
  attempts: ReadOnly<number>;
  errors: ReadOnly<number>;
  /** errors / attempts, 0 to 1. */
  error_rate: ReadOnly<number>;
  /** Provider round trip percentiles over the day's attempts, in milliseconds (null when none finished). */
  p50_ms: ReadOnly<number | null>;
  p95_ms: ReadOnly<number | null>;
  input_tokens: Int8;
  output_tokens: Int8;
  cost_usd: Numeric;
}

export type ChainSummary = Selectable<ChainSummaryView>;
export type TaskStats = Selectable<TaskStatsView>;
