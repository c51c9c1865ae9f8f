import { submittedMessageSchema } from '@chainlog/shared';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { uuidInput } from './uuid-input.js';
import { ChainQueueFullError } from '../chains/chain-queue-full-error.js';
import { ShuttingDownError } from '../chains/chain-runner.js';
import { listInbox, submitMessage } from '../services/inbox.js';
import { publicProcedure, router } from '../trpc/init.js';
import { RateLimitedError } from '../trpc/retry-after.js';
import { limitSubmissions } from '../trpc/submission-limit.js';

// A waiting place comes back when one of the running chains ends: a few seconds for chains of live model calls.
const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;

export const inboxRouter = router({
  /**
   * Stores a message and starts its triage chain; returns at once with the ids to follow. TOO_MANY_REQUESTS past the
   * client's submissions a minute or when the chain queue is full (then nothing is stored), both with `retry-after`.
   * An invalid message is BAD_REQUEST and takes nothing from the allowance: the input is parsed before it is counted.
   */
  submit: publicProcedure
    .input(submittedMessageSchema)
    .use(limitSubmissions)
    .mutation(async ({ ctx, input }) => {
      try {
        return await submitMessage(ctx, input);
      } catch (error) {
        if (error instanceof ShuttingDownError)
          throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: error.message, cause: error });
        if (error instanceof ChainQueueFullError) {
          const cause = new RateLimitedError(error.message, QUEUE_FULL_RETRY_AFTER_SECONDS);
          throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause });
        }
        throw error;
      }
    }),
  /** Messages, newest first, with their chain's status; `cursor` is the previous page's `nextCursor`. */
  list: publicProcedure
    .input(
      z
        .object({ cursor: uuidInput.nullish(), limit: z.number().int().min(1).max(100).default(20) })
        .default({ limit: 20 }),
    )
    .query(({ ctx, input }) => listInbox(ctx.db, { cursor: input.cursor ?? undefined, limit: input.limit })),
});
