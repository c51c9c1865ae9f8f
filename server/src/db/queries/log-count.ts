import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../client.js';
import type { DatabaseKind } from '../dialect.js';
import { type LogFilters, selectLogsMatching } from './logs.js';

/** Below this many rows (by the planner's estimate) the count is made exactly. */
export const EXACT_COUNT_BELOW = 10_000;
/** How long an exact count may run on PostgreSQL before the estimate stands in for it. */
const EXACT_COUNT_TIMEOUT_MS = 500;

// EXPLAIN (FORMAT JSON) answers one row whose one column holds the plan: parsed by pg, text or parsed on PGlite.
const planRowsSchema = z
  .array(
    z.object({
      'QUERY PLAN': z.preprocess(
        (plan) => (typeof plan === 'string' ? JSON.parse(plan) : plan),
        z.tuple([z.object({ Plan: z.object({ 'Plan Rows': z.number() }) })]),
      ),
    }),
  )
  .min(1);

export type LogCountFilters = Omit<LogFilters, 'cursor' | 'order' | 'limit'>;

/** How far `count` is to be taken: as is, as the planner's estimate, or as a floor (more rows match). */
export type CountPrecision = 'exact' | 'estimate' | 'at least';

export interface LogCount {
  count: number;
  precision: CountPrecision;
}

/**
 * How many inference_log rows match the filters, cheaply: the planner's estimate of the filtered query (EXPLAIN, no
 * rows read: table statistics, which the planner scales by the table's current size), and an exact count when that
 * estimate is under EXACT_COUNT_BELOW. The exact count stops at one row past that bound, and on PostgreSQL after
 * EXACT_COUNT_TIMEOUT_MS (a filter no index serves, matching few of many rows, scans the table): then the estimate,
 * or the bound passed, stands. PGlite has no autovacuum, so its tables may have no statistics, and its planner then
 * guesses (a third of the table for a range): there the capped count is always made, whatever the estimate.
 */
export async function countLogs(db: Db, kind: DatabaseKind, filters: LogCountFilters): Promise<LogCount> {
  const matching = () => selectLogsMatching(db, { ...filters, order: 'desc' }).clearOrderBy();
  const plan = planRowsSchema.parse(await matching().select(sql<number>`1`.as('one')).explain('json'));
  const estimate = Math.round(plan[0]?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0);
  if (kind === 'postgres' && estimate >= EXACT_COUNT_BELOW) return { count: estimate, precision: 'estimate' };
  const counted = await db.transaction().execute(async (transaction) => {
    if (kind === 'postgres')
      await sql`set local statement_timeout = ${sql.lit(EXACT_COUNT_TIMEOUT_MS)}`.execute(transaction);
    const capped = selectLogsMatching(transaction, { ...filters, order: 'desc' })
      .clearOrderBy()
      .select(sql<number>`1`.as('one'))
      .limit(EXACT_COUNT_BELOW + 1);
    try {
      const { rows } = await sql<{ count: number }>`select count(*)::int as count from (${capped}) as matching`.execute(
        transaction,
      );
      return rows[0]?.count ?? 0;
    } catch (error) {
      if (isStatementTimeout(error)) return null;
      throw error;
    }
  });
  if (counted === null) return { count: estimate, precision: 'estimate' };
  if (counted <= EXACT_COUNT_BELOW) return { count: counted, precision: 'exact' };
  return estimate > EXACT_COUNT_BELOW
    ? { count: estimate, precision: 'estimate' }
    : { count: EXACT_COUNT_BELOW, precision: 'at least' };
}

function isStatementTimeout(error: unknown): boolean {
  // 57014 query_canceled: what statement_timeout raises.
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '57014';
}
