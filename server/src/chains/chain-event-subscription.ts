import type { ChainEvent } from '@chainlog/shared';
import type { ChainFollower, FollowedChain } from './followed-chain.js';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Where a subscription finds its chain: the one this process follows, joined. */
export interface FollowedChains {
  join(chainId: string, follower: ChainFollower): FollowedChain;
}

/**
 * One subscriber's events of one chain: those after `afterId`, then live ones, each once and in order, ending after
 * chain_finished (or at once after the stored ones when the chain is over). Holds no events of its own: only its
 * position in the chain's shared history, and the next() waiting for the next event. Joins its chain on the first
 * next(), so a subscription that is never iterated takes no place; leaves it when it ends, is returned, or its
 * signal aborts.
 */
export class ChainEventSubscription implements AsyncIterableIterator<ChainEvent>, ChainFollower {
  private chain: FollowedChain | undefined;
  private placedAt: number | undefined;
  private starting: Promise<IteratorResult<ChainEvent>> | undefined;
  private parked: ((step: IteratorResult<ChainEvent>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly chains: FollowedChains,
    private readonly chainId: string,
    private readonly afterId: bigint,
    private readonly signal: AbortSignal | undefined,
  ) {
    // The subscription itself is the listener (handleEvent): no closure per subscriber.
    signal?.addEventListener('abort', this, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChainEvent>> {
    if (this.ended || this.signal?.aborted) {
      this.end();
      return Promise.resolve(DONE);
    }
    if (this.placedAt === undefined) {
      // A next() while the first is still reading takes the event after the one the first gets.
      if (this.starting) return this.starting.then(() => this.next());
      this.starting = this.start();
      return this.starting;
    }
    const step = this.nextStep();
    if (step) return Promise.resolve(step);
    return new Promise((resolve) => {
      this.parked = resolve;
    });
  }

  return(): Promise<IteratorResult<ChainEvent>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** The signal aborted. */
  handleEvent(): void {
    this.end();
  }

  position(): number | undefined {
    return this.placedAt;
  }

  appended(): void {
    const resolve = this.parked;
    if (!resolve) return;
    this.parked = undefined;
    const step = this.nextStep();
    if (step) resolve(step);
    else this.parked = resolve;
  }

  private async start(): Promise<IteratorResult<ChainEvent>> {
    const chain = this.chains.join(this.chainId, this);
    this.chain = chain;
    try {
      await chain.cover(this.afterId);
    } catch (error) {
      this.end();
      throw error;
    }
    if (this.ended) return DONE;
    this.placedAt = chain.positionAfter(this.afterId);
    const step = this.nextStep();
    if (step) return step;
    return new Promise((resolve) => {
      this.parked = resolve;
    });
  }

  /** The next event when there is one, DONE when the chain is over (or this ended), undefined while it waits. */
  private nextStep(): IteratorResult<ChainEvent> | undefined {
    const { chain, placedAt } = this;
    if (this.ended || !chain || placedAt === undefined) return DONE;
    const step = chain.stepAt(placedAt);
    if (step) {
      this.placedAt = placedAt + 1;
      if (step.value.payload.type === 'chain_finished') this.end();
      return step;
    }
    if (!chain.isOver()) return undefined;
    this.end();
    return DONE;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this);
    this.chain?.leave(this);
    const resolve = this.parked;
    this.parked = undefined;
    resolve?.(DONE);
  }
}
