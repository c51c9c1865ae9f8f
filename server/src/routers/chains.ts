import { type ChainEvent, chainStatusSchema, filterTextSchema } from '@chainlog/shared';
import { z } from 'zod';
import { uuidInput } from './uuid-input.js';
import { chainChangeOf } from '../chains/chain-change.js';
import { UnknownChainError } from '../chains/unknown-chain-error.js';
import { followAllChains, followChain, getChainDetail, listChainSummaries } from '../services/chains.js';
import { notFound, unreadableEvent } from '../trpc/errors.js';
import { publicProcedure, router } from '../trpc/init.js';
import { subscriptionProcedure } from '../trpc/subscription-limit.js';
import { TrackedSteps } from '../trpc/tracked-stream.js';

// int8: at most 19 digits; the check keeps an out-of-range id a BAD_REQUEST, not a database error.
const eventIdSchema = z
  .string()
  .regex(/^\d{1,19}$/, { message: 'an event id is a decimal integer', abort: true })
  .refine((id) => BigInt(id) <= 9_223_372_036_854_775_807n, 'an event id fits in 64 bits');

/** chains.list's filters; GET /export/chains takes the same ones, but `limit`, as query parameters. */
export const chainListInput = z.object({
  status: chainStatusSchema.nullish(),
  name: filterTextSchema.nullish(),
  cursor: uuidInput.nullish(),
  limit: z.number().int().min(1).max(100).default(20),
});

/** One envelope per chain event for every subscriber of this process. */
const trackedChainEvents = new TrackedSteps<ChainEvent>();

export const chainsRouter = router({
  /** Chains newest first, optionally by status or name; `cursor` is the previous page's `nextCursor`. */
  list: publicProcedure.input(chainListInput.default({ limit: 20 })).query(({ ctx, input }) =>
    listChainSummaries(ctx.db, {
      status: input.status ?? undefined,
      name: input.name ?? undefined,
      cursor: input.cursor ?? undefined,
      limit: input.limit,
    }),
  ),
  /** The chain with its steps, log ids and the domain rows it created. */
  get: publicProcedure.input(z.object({ chainId: uuidInput })).query(async ({ ctx, input }) => {
    const detail = await getChainDetail(ctx.db, input.chainId, (name) => ctx.chains.plannedSteps(name)).catch(
      (error: unknown) => {
        throw unreadableEvent(error);
      },
    );
    if (!detail) throw notFound('chain', input.chainId);
    return detail;
  }),
  /**
   * Every event of one chain in order: the stored ones after `lastEventId`, then live ones, each tracked by its id
   * so a reconnecting client resumes where it stopped. Completes after chain_finished.
   */
  events: subscriptionProcedure
    .input(z.object({ chainId: uuidInput, lastEventId: eventIdSchema.nullish() }))
    .subscription(({ ctx, input, signal }) =>
      trackedChainEvents.of(followChain(ctx, input.chainId, input.lastEventId ?? null, signal), (error) => {
        throw error instanceof UnknownChainError ? notFound('chain', input.chainId) : unreadableEvent(error);
      }),
    ),
  /**
   * What changed in any chain, live, so lists can update without polling: the event's kind and the chain, log row,
   * task and model it touched (chain-change.ts), not its payload.
   */
  changes: subscriptionProcedure.subscription(async function* ({ ctx, signal }) {
    for await (const event of followAllChains(ctx.bus, signal)) yield chainChangeOf(event);
  }),
});
