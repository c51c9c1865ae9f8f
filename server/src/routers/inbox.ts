import { supportMessageSchema } from '@chainlog/shared';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ChainQueueFullError } from '../chains/chain-queue-full-error.js';
import { ShuttingDownError } from '../chains/chain-runner.js';
import { listInbox, submitMessage } from '../services/inbox.js';
import { publicProcedure, router } from '../trpc/init.js';
import { limitSubmissions } from '../trpc/submission-limit.js';

export const inboxRouter = router({
  /**
   * Stores a message and starts its triage chain; returns at once with the ids to follow. TOO_MANY_REQUESTS past the
   * client's submissions a minute (with `retry-after`) or when the chain queue is full (then nothing is stored).
   */
  submit: publicProcedure.use(limitSubmissions).input(supportMessageSchema).mutation(async ({ ctx, input }) => {
    try {
      return await submitMessage(ctx, input);
    } catch (error) {
      if (error instanceof ShuttingDownError) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: error.message, cause: error });
      if (error instanceof ChainQueueFullError) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error });
      throw error;
    }
  }),
  /** Messages, newest first, with their chain's status; `cursor` is the previous page's `nextCursor`. */
  list: publicProcedure
    .input(z.object({ cursor: z.uuid().nullish(), limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) => listInbox(ctx.db, { cursor: input.cursor ?? undefined, limit: input.limit })),
});
