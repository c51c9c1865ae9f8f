import type { ChainEvent } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import type { PushableIterator } from '../pushed-stream.js';
import { ChainEventSubscription } from './chain-event-subscription.js';
import type { ChainEventBus } from './event-bus.js';
import { BEFORE_EVERY_EVENT, type ChainFollower, DEFAULT_HISTORY_LIMIT, FollowedChain } from './followed-chain.js';

/**
 * This process's subscribers of single chains (chains.events), grouped by chain: each chain followed here has one
 * bus listener and one history (FollowedChain) that all its subscribers read, so an event costs one object and one
 * serialisation per process, not one per subscriber, and subscribers who join together share one read of the table.
 */
export class ChainEventFanOut {
  private readonly chains = new Map<string, FollowedChain>();

  constructor(
    private readonly dependencies: {
      db: Db;
      bus: ChainEventBus;
      /** Events of a followed chain kept in memory beyond what its subscribers have yet to take (1,000). */
      historyLimit?: number;
    },
  ) {}

  /**
   * Every event of the chain after `lastEventId` (all when null), stored then live, each exactly once and in order,
   * until chain_finished, iterated or pushed (see ChainEventSubscription). The first next() rejects (a push fails)
   * with UnknownChainError when no chain has this id. Ends when `signal` aborts.
   */
  follow(chainId: string, lastEventId: string | null, signal?: AbortSignal): PushableIterator<ChainEvent> {
    const afterId = lastEventId === null ? BEFORE_EVERY_EVENT : BigInt(lastEventId);
    return new ChainEventSubscription(this, chainId, afterId, signal);
  }

  /** The chain as followed here (followed from now on if it was not), joined by `follower`. */
  join(chainId: string, follower: ChainFollower): FollowedChain {
    let chain = this.chains.get(chainId);
    if (!chain) {
      const { historyLimit = DEFAULT_HISTORY_LIMIT } = this.dependencies;
      const followed = new FollowedChain(chainId, this.dependencies, historyLimit, () => {
        if (this.chains.get(chainId) === followed) this.chains.delete(chainId);
      });
      this.chains.set(chainId, followed);
      chain = followed;
    }
    chain.join(follower);
    return chain;
  }

  /** How many chains someone here follows. */
  followedCount(): number {
    return this.chains.size;
  }
}
