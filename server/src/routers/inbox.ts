import { supportMessageSchema } from '@chainlog/shared';
import { z } from 'zod';
import { listInbox, submitMessage } from '../services/inbox.js';
import { publicProcedure, router } from '../trpc/init.js';

export const inboxRouter = router({
  /** Stores a message and starts its triage chain; returns at once with the ids to follow. */
  submit: publicProcedure.input(supportMessageSchema).mutation(({ ctx, input }) => submitMessage(ctx, input)),
  /** Messages, newest first, with their chain's status; `cursor` is the previous page's `nextCursor`. */
  list: publicProcedure
    .input(z.object({ cursor: z.uuid().nullish(), limit: z.number().int().min(1).max(100).default(20) }).default({ limit: 20 }))
    .query(({ ctx, input }) => listInbox(ctx.db, { cursor: input.cursor ?? undefined, limit: input.limit })),
});
