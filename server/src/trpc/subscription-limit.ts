import { TRPCError } from '@trpc/server';
import { middleware, publicProcedure } from './init.js';

/**
 * Holds one of the connection's subscription slots for as long as a subscription lives: TOO_MANY_REQUESTS when all
 * are taken (the connection's other subscriptions go on). The slot is given back when the subscription completes,
 * fails, is stopped by the client, or its connection closes.
 */
const limitSubscriptions = middleware(async function limitSubscriptions({ ctx, type, signal, next }) {
  if (type !== 'subscription' || ctx.subscriptionSlots === null) return next();
  const release = ctx.subscriptionSlots.tryTake();
  if (!release) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `a connection may hold at most ${ctx.subscriptionSlots.max} subscriptions; stop one before starting another`,
    });
  }
  // Stopped by the client or its connection closing (tRPC aborts the subscription's signal then).
  signal?.addEventListener('abort', release, { once: true });
  const result = await next();
  if (!result.ok) {
    release();
    return result;
  }
  return isAsyncIterable(result.data) ? { ...result, data: releasingWhenDone(result.data, release) } : result;
});

/** The base of every subscription: counted against the connection's `CHAINLOG_MAX_SUBSCRIPTIONS_PER_CONNECTION`. */
export const subscriptionProcedure = publicProcedure.use(limitSubscriptions);

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * The same items; `release` runs once the iteration ends, whether it completes, throws or is returned early. One
 * promise per item, no generator: every subscriber of a chain passes each event through here.
 */
function releasingWhenDone<T>(source: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = source[Symbol.asyncIterator]();
      const releaseWhenDone = (step: IteratorResult<T>) => {
        if (step.done) release();
        return step;
      };
      const releaseAndRethrow = (error: unknown): never => {
        release();
        throw error;
      };
      return {
        next: () => iterator.next().then(releaseWhenDone, releaseAndRethrow),
        async return() {
          release();
          return (await iterator.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
