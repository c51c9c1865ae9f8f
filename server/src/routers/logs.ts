import { filterTextSchema, postgresText } from '@chainlog/shared';
import { z } from 'zod';
import { uuidInput } from './uuid-input.js';
import { countLogs, getLogDetail, listLogFacets, listLogSummaries } from '../services/logs.js';
import { notFound } from '../trpc/errors.js';
import { publicProcedure, router } from '../trpc/init.js';

// Years 0001 to 9999 in UTC: zod takes four-digit years with any offset, but the bound is sent as its UTC ISO text,
// which for year 0 or a year pushed past 9999 by an offset (-000001-…, +010000-…) PostgreSQL cannot read (found by
// fuzzing: a 500). No log row is that old or that far ahead.
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** An ISO 8601 date-time with an offset, between 0001-01-01 and 9999-12-31 in UTC (the range checked of a date-time only). */
const instantSchema = z.iso.datetime({ offset: true, abort: true }).refine((value) => {
  const time = Date.parse(value);
  return time >= FIRST_INSTANT && time <= LAST_INSTANT;
}, 'must be between 0001-01-01 and 9999-12-31 (UTC)');

/**
 * A number from 0 to `max`, or its decimal text: GET /export/logs takes the same filters as query parameters, which
 * are text. No exponent, sign or spaces: `1e3`, `-0` or ` 5` are refused rather than read some way.
 */
function boundSchema(max: number) {
  return z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\d{1,15}(\.\d{1,15})?$/, 'a decimal number, like 1500 or 0.25')
        .transform(Number),
    ])
    .pipe(z.number().min(0).max(max));
}

/** logs.list's filters; GET /export/logs takes the same ones, but `limit`, as query parameters. */
export const logListInput = z.object({
  name: filterTextSchema.nullish(),
  model: filterTextSchema.nullish(),
  provider: filterTextSchema.nullish(),
  status: z.enum(['pending', 'ok', 'error']).nullish(),
  chainId: uuidInput.nullish(),
  /** ISO 8601; inclusive. */
  from: instantSchema.nullish(),
  /** ISO 8601; exclusive. */
  to: instantSchema.nullish(),
  /** Full-text search of the request's messages and the output: words (stemmed, English), "a phrase", or, -word. */
  q: postgresText(z.string().trim().min(1).max(500)).nullish(),
  /** Latency bounds in milliseconds, both inclusive (rows without a latency, still pending, then match neither). */
  minLatencyMs: boundSchema(86_400_000).nullish(),
  maxLatencyMs: boundSchema(86_400_000).nullish(),
  /** At least this cost in US dollars (rows without a cost do not match). */
  minCostUsd: boundSchema(1_000_000).nullish(),
  order: z.enum(['desc', 'asc']).default('desc'),
  cursor: uuidInput.nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});

/**
 * The instant in UTC, ISO 8601, to the microsecond: a Date keeps milliseconds and the exports write microseconds,
 * PostgreSQL reads no offset beyond ±15:59 (zod takes ±23:59) and no date-time of 150 characters (zod takes a fraction
 * of any length), and keeps microseconds. An offset is whole minutes, so the second's fraction is the same in UTC.
 */
function utcInstant(text: string): string {
  const fraction = (/\.(\d+)/.exec(text)?.[1] ?? '').slice(0, 6);
  return new Date(text).toISOString().replace(/\.\d{3}Z$/, `.${fraction.padEnd(3, '0')}Z`);
}

/** The filters of a parsed logs.list (or export) input, as the queries take them. */
export function logFiltersOf(input: Omit<z.output<typeof logListInput>, 'limit'>) {
  return {
    name: input.name ?? undefined,
    model: input.model ?? undefined,
    provider: input.provider ?? undefined,
    status: input.status ?? undefined,
    chainId: input.chainId ?? undefined,
    from: input.from ? utcInstant(input.from) : undefined,
    to: input.to ? utcInstant(input.to) : undefined,
    q: input.q ?? undefined,
    minLatencyMs: input.minLatencyMs ?? undefined,
    maxLatencyMs: input.maxLatencyMs ?? undefined,
    // As decimal text, as the numeric column is compared (the double's shortest text: 0.1 is '0.1').
    minCostUsd: input.minCostUsd === null || input.minCostUsd === undefined ? undefined : String(input.minCostUsd),
    order: input.order,
    cursor: input.cursor ?? undefined,
  };
}

export const logsRouter = router({
  /** inference_log rows (list columns) matching every filter given, by time; keyset pagination. */
  list: publicProcedure
    .input(logListInput.default({ order: 'desc', limit: 50 }))
    .query(({ ctx, input }) => listLogSummaries(ctx.db, { ...logFiltersOf(input), limit: input.limit })),
  /**
   * How many rows logs.list's filters match: `{ count, precision }`, exact under 10,000 rows, else the planner's
   * estimate, or 'at least' 10,000 where the estimate is lower (cheap at any size; see countLogs).
   */
  count: publicProcedure
    .input(logListInput.omit({ order: true, cursor: true, limit: true }).prefault({}))
    .query(({ ctx, input }) => {
      const { order: _order, cursor: _cursor, ...filters } = logFiltersOf({ ...input, order: 'desc' });
      return countLogs(ctx.db, ctx.databaseKind, filters);
    }),
  /** One full row: request, response, output and error as stored. */
  get: publicProcedure.input(z.object({ id: uuidInput })).query(async ({ ctx, input }) => {
    const detail = await getLogDetail(ctx.db, input.id);
    if (!detail) throw notFound('inference log', input.id);
    return detail;
  }),
  /** Distinct names, models and providers, for filter menus. */
  facets: publicProcedure.query(({ ctx }) => listLogFacets(ctx.db)),
});
