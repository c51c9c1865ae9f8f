import type { ChainEvent } from '@chainlog/shared';
import { type ItemSink, PUSH, type PushableIterator, type Pushing } from '../pushed-stream.js';
import type { ChainFollower, FollowedChain } from './followed-chain.js';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Where a subscription finds its chain: the one this process follows, joined. */
export interface FollowedChains {
  join(chainId: string, follower: ChainFollower): FollowedChain;
}

/**
 * One subscriber's events of one chain: those after `afterId`, then live ones, each once and in order, ending after
 * chain_finished (or at once after the stored ones when the chain is over). Holds no events of its own: only its
 * position in the chain's shared history, and the next() waiting for the next event, or the sink it pushes to
 * (PUSH: then nothing waits between events). Joins its chain on the first next() or on PUSH, so a subscription that
 * is never read takes no place; leaves it when it ends, is returned or stopped, or its signal aborts.
 */
export class ChainEventSubscription implements PushableIterator<ChainEvent>, Pushing, ChainFollower {
  private chain: FollowedChain | undefined;
  private placedAt: number | undefined;
  private starting: Promise<IteratorResult<ChainEvent>> | undefined;
  private parked: ((step: IteratorResult<ChainEvent>) => void) | undefined;
  private sink: ItemSink<ChainEvent> | undefined;
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
    if (this.sink) throw new Error('a pushed subscription cannot be iterated as well');
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
    const step = this.take();
    if (step) return Promise.resolve(step);
    return new Promise((resolve) => {
      this.parked = resolve;
    });
  }

  return(): Promise<IteratorResult<ChainEvent>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /**
   * Hands every event to `sink` as it comes, then calls its end() (or fail() with UnknownChainError when no chain
   * has this id); instead of next(), never with it.
   */
  [PUSH](sink: ItemSink<ChainEvent>): Pushing {
    if (this.sink || this.starting || this.placedAt !== undefined)
      throw new Error('a subscription is either iterated or pushed, once');
    this.sink = sink;
    if (this.ended || this.signal?.aborted) {
      this.end();
      return this;
    }
    const chain = this.chains.join(this.chainId, this);
    this.chain = chain;
    chain.cover(this.afterId).then(
      () => {
        if (this.ended) return;
        this.placedAt = chain.positionAfter(this.afterId);
        this.push();
      },
      (error: unknown) => this.fail(error),
    );
    return this;
  }

  stop(): void {
    this.end();
  }

  /** The signal aborted. */
  handleEvent(): void {
    this.end();
  }

  position(): number | undefined {
    return this.placedAt;
  }

  appended(): void {
    if (this.sink) {
      if (this.placedAt !== undefined) this.push();
      return;
    }
    const resolve = this.parked;
    if (!resolve) return;
    this.parked = undefined;
    const step = this.take();
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
    const step = this.take();
    if (step) return step;
    return new Promise((resolve) => {
      this.parked = resolve;
    });
  }

  /** The events the history holds from this subscription's position on, to the sink; then its end once over. */
  private push(): void {
    let step = this.nextStep();
    while (step && !step.done) {
      // The sink may stop the subscription: nextStep() answers DONE then.
      this.sink?.item(step.value);
      if (step.value.payload.type === 'chain_finished') break;
      step = this.nextStep();
    }
    // Undefined: waiting for the next event.
    if (step) this.end();
  }

  /** nextStep(), leaving the chain as soon as the last event is taken. */
  private take(): IteratorResult<ChainEvent> | undefined {
    const step = this.nextStep();
    if (step && (step.done || step.value.payload.type === 'chain_finished')) this.end();
    return step;
  }

  /** The next event when there is one, DONE when the chain is over (or this ended), undefined while it waits. */
  private nextStep(): IteratorResult<ChainEvent> | undefined {
    const { chain, placedAt } = this;
    if (this.ended || !chain || placedAt === undefined) return DONE;
    let position = placedAt;
    let step = chain.stepAt(position);
    // Only what follows afterId: a lastEventId past the events stored when this joined skips live ones up to it too.
    while (step && BigInt(step.value.id) <= this.afterId) step = chain.stepAt(++position);
    if (step) {
      this.placedAt = position + 1;
      return step;
    }
    this.placedAt = position;
    return chain.isOver() ? DONE : undefined;
  }

  private end(): void {
    if (!this.leave()) return;
    const resolve = this.parked;
    this.parked = undefined;
    resolve?.(DONE);
    this.sink?.end();
  }

  private fail(error: unknown): void {
    if (this.leave()) this.sink?.fail(error);
  }

  /** Leaves the chain; false when this had ended already. */
  private leave(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.signal?.removeEventListener('abort', this);
    this.chain?.leave(this);
    return true;
  }
}
