import { TRPCError } from '@trpc/server';
import { type ItemSink, PUSH, type PushableStream, type Pushing, isPushable } from '../pushed-stream.js';
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
 * promise per item, no generator: every subscriber of a chain passes each event through here. A pushable source
 * stays pushable, with `release` run when its push ends or fails.
 */
function releasingWhenDone<T>(source: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return isPushable(source) ? new ReleasingStream(source, release) : releasingIterable(source, release);
}

function releasingIterable<T>(source: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => releasingIterator(source, release),
  };
}

function releasingIterator<T>(source: AsyncIterable<T>, release: () => void): AsyncIterator<T> {
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
}

class ReleasingStream<T> implements PushableStream<T> {
  constructor(
    private readonly source: PushableStream<T>,
    private readonly release: () => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return releasingIterator(this.source, this.release);
  }

  [PUSH](sink: ItemSink<T>): Pushing {
    return this.source[PUSH](new ReleasingSink(sink, this.release));
  }
}

/** One object per pushed subscriber, no closure. */
class ReleasingSink<T> implements ItemSink<T> {
  constructor(
    private readonly sink: ItemSink<T>,
    private readonly release: () => void,
  ) {}

  item(item: T): void {
    this.sink.item(item);
  }

  end(): void {
    this.release();
    this.sink.end();
  }

  fail(error: unknown): void {
    this.release();
    this.sink.fail(error);
  }
}
