import type { ChainStatus } from '@chainlog/shared';
import type { ColumnType, Insertable, Selectable } from 'kysely';

type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown | null, string | null | undefined, string | null>;

/** One run of a chain; `id` is the chain_id every inference_log and domain row of the run carries. */
export interface ChainTable {
  id: string;
  name: string;
  status: ChainStatus;
  input: Json;
  error: NullableJson;
  /** The process running the chain (instance.id); a chain it leaves running is interrupted if it dies. */
  instance_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/**
 * What a chain reported, in order; `id` is monotonic across all chains. int8 arrives as a string on pg but as a
 * number (a bigint when huge) on PGlite: convert with String() (toChainEvent does) and compare as BigInt.
 */
export interface ChainEventTable {
  id: ColumnType<string | number | bigint, never, never>;
  chain_id: string;
  type: string;
  payload: Json;
  /** The shape `payload` was written in (db/chain-event-payloads.ts reads each one as today's). */
  payload_version: ColumnType<number, number | undefined, never>;
  /** Beside a step_failed, what its step threw, for the runner to throw again on resume (never sent): chain-errors.ts. */
  thrown: NullableJson;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type ChainRow = Selectable<ChainTable>;
export type NewChain = Insertable<ChainTable>;
export type ChainEventRow = Selectable<ChainEventTable>;
