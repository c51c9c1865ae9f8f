import { EventEmitter } from 'node:events';
import type { ChainEvent } from '@chainlog/shared';

const ANY_CHAIN = '*';

/** Where stored events come from: this process alone (PGlite), or the database's announcements (PostgreSQL). */
export type ChainEventSource = 'this-process' | 'database';

/**
 * What the process that stored an event does with it on PostgreSQL (ChainEventFeed.stored): `previousId` is the id
 * of the chain's event before it as the insert saw the table (null for the first), undefined when not known.
 */
export type OwnEventHandler = (event: ChainEvent, previousId: string | null | undefined) => void;

/**
 * This process's fan-out of chain events that are already stored. Subscribers replay what they missed from
 * chain_event, so the bus never needs to hold history.
 *
 * With one process per database (PGlite) the process that stores an event publishes it here. On PostgreSQL every
 * process may store events: the database announces each stored event to every process (LISTEN/NOTIFY), and each
 * process's ChainEventFeed reads the rows and delivers them here; the process that stored an event hands it to the
 * feed at once as well, which delivers it without the round trip when nothing of its chain can be missing before it.
 */
export class ChainEventBus {
  private readonly emitter = new EventEmitter();
  private ownEvents: OwnEventHandler | undefined;

  constructor(private readonly source: ChainEventSource = 'this-process') {
    // One listener per open subscription: many browser tabs are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  /**
   * Call after storing `event` (after its commit): it reaches this process's subscribers, however they follow it.
   * `previousId` (see OwnEventHandler) lets a feed deliver it at once; without it, the feed reads it from the table.
   */
  publish(event: ChainEvent, previousId?: string | null): void {
    if (this.source === 'this-process') this.deliver(event);
    else this.ownEvents?.(event, previousId);
  }

  /** On PostgreSQL, the feed takes the events this process stores (see publish). */
  takeOwnEvents(handler: OwnEventHandler): void {
    this.ownEvents = handler;
  }

  /** Hands a stored event to this process's subscribers: each exactly once, in id order within its chain. */
  deliver(event: ChainEvent): void {
    this.emitter.emit(event.chainId, event);
    this.emitter.emit(ANY_CHAIN, event);
  }

  /** Calls `listener` for every event of `chainId`, or of every chain when it is omitted; returns the unsubscribe. */
  subscribe(listener: (event: ChainEvent) => void, chainId: string = ANY_CHAIN): () => void {
    this.emitter.on(chainId, listener);
    return () => this.emitter.off(chainId, listener);
  }

  /** Whether anyone here listens to the chain's events (to it alone, or to every chain's). */
  wants(chainId: string): boolean {
    return this.emitter.listenerCount(chainId) > 0 || this.listensToEveryChain();
  }

  /** Whether anyone here listens to every chain's events (chains.changes). */
  listensToEveryChain(): boolean {
    return this.emitter.listenerCount(ANY_CHAIN) > 0;
  }

  /** The chains someone here follows one by one (chains.events). */
  followedChains(): string[] {
    return this.emitter.eventNames().filter((name): name is string => typeof name === 'string' && name !== ANY_CHAIN);
  }
}
