import { filterTextSchema } from '@chainlog/shared';
import { z } from 'zod';
import { getStatsOverview } from '../services/stats.js';
import { publicProcedure, router } from '../trpc/init.js';

/** The most days one overview covers: a year, leap day included. */
export const MAX_STATS_DAYS = 366;
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

/** A UTC day, `YYYY-MM-DD`, from 0001-01-01 (PostgreSQL has no year 0). */
const FIRST_DAY = '0001-01-01';
const daySchema = z.iso.date().refine((day) => day >= FIRST_DAY, `must be ${FIRST_DAY} or later`);

/** stats.overview's range and filters. */
export const statsOverviewInput = z
  .object({
    /** First UTC day, included; default: 29 days before `to`. */
    from: daySchema.nullish(),
    /** Last UTC day, included; default: today (UTC). */
    to: daySchema.nullish(),
    /** Only this task name. */
    name: filterTextSchema.nullish(),
    /** Only this model (any provider's). */
    model: filterTextSchema.nullish(),
  })
  .transform((input, context) => {
    const to = input.to ?? new Date().toISOString().slice(0, 10);
    const defaultFrom = new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS)
      .toISOString()
      .slice(0, 10);
    // Near year 1 the default would reach year 0 ('0000-…', or '-000001-…'), which both sort before FIRST_DAY.
    const from = input.from ?? (defaultFrom < FIRST_DAY ? FIRST_DAY : defaultFrom);
    if (from > to) context.addIssue({ code: 'custom', path: ['from'], message: `from (${from}) is after to (${to})` });
    else if (Date.parse(to) - Date.parse(from) >= MAX_STATS_DAYS * DAY_MS) {
      context.addIssue({ code: 'custom', path: ['from'], message: `at most ${MAX_STATS_DAYS} days at once` });
    }
    return { from, to, name: input.name ?? undefined, model: input.model ?? undefined };
  });

export const statsRouter = router({
  /**
   * Calls, attempts, errors, cost and tokens per UTC day by task and by model (from the task_stats view), p50/p95
   * latency over the range by task and by model, and totals; `days` lists every day of the range.
   */
  overview: publicProcedure
    .input(statsOverviewInput.prefault({}))
    .query(({ ctx, input }) => getStatsOverview(ctx.db, input)),
});
