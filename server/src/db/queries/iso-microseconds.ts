import { type RawBuilder, sql } from 'kysely';

/**
 * A timestamptz as ISO 8601 text in UTC with its microseconds (`2026-12-04T10:38:38.905122Z`): read as a Date, it
 * keeps milliseconds only, and an exported time no longer equals the database's. Null stays null.
 */
export function isoMicroseconds<Time extends Date | null>(
  time: RawBuilder<Time>,
): RawBuilder<string | Exclude<Time, Date>> {
  return sql`to_char(${time} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
