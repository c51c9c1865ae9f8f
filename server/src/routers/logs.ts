import { withoutNul } from '@chainlog/shared';
import { z } from 'zod';
import { getLogDetail, listLogFacets, listLogSummaries } from '../services/logs.js';
import { notFound } from '../trpc/errors.js';
import { publicProcedure, router } from '../trpc/init.js';

/** logs.list's filters; GET /export/logs takes the same ones, but `limit`, as query parameters. */
export const logListInput = z.object({
  name: withoutNul(z.string().min(1)).nullish(),
  model: withoutNul(z.string().min(1)).nullish(),
  provider: withoutNul(z.string().min(1)).nullish(),
  status: z.enum(['pending', 'ok', 'error']).nullish(),
  chainId: z.uuid().nullish(),
  /** ISO 8601; inclusive. */
  from: z.iso.datetime({ offset: true }).nullish(),
  /** ISO 8601; exclusive. */
  to: z.iso.datetime({ offset: true }).nullish(),
  order: z.enum(['desc', 'asc']).default('desc'),
  cursor: z.uuid().nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const logsRouter = router({
  /** inference_log rows (list columns) matching every filter given, by time; keyset pagination. */
  list: publicProcedure
    .input(logListInput.default({ order: 'desc', limit: 50 }))
    .query(({ ctx, input }) =>
      listLogSummaries(ctx.db, {
        name: input.name ?? undefined,
        model: input.model ?? undefined,
        provider: input.provider ?? undefined,
        status: input.status ?? undefined,
        chainId: input.chainId ?? undefined,
        from: input.from ? new Date(input.from) : undefined,
        to: input.to ? new Date(input.to) : undefined,
        order: input.order,
        cursor: input.cursor ?? undefined,
        limit: input.limit,
      }),
    ),
  /** One full row: request, response, output and error as stored. */
  get: publicProcedure.input(z.object({ id: z.uuid() })).query(async ({ ctx, input }) => {
    const detail = await getLogDetail(ctx.db, input.id);
    if (!detail) throw notFound('inference log', input.id);
    return detail;
  }),
  /** Distinct names, models and providers, for filter menus. */
  facets: publicProcedure.query(({ ctx }) => listLogFacets(ctx.db)),
});
