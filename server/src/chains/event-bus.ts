import { EventEmitter } from 'node:events';
import type { ChainEvent } from '@chainlog/shared';

const ANY_CHAIN = '*';

/**
 * In-process fan-out of chain events that are already stored. One server process owns its chains; subscribers
 * replay what they missed from chain_event, so the bus never needs to hold history.
 */
export class ChainEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open subscription: many browser tabs are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  publish(event: ChainEvent): void {
    this.emitter.emit(event.chainId, event);
    this.emitter.emit(ANY_CHAIN, event);
  }

  /** Calls `listener` for every event of `chainId`, or of every chain when it is omitted; returns the unsubscribe. */
  subscribe(listener: (event: ChainEvent) => void, chainId: string = ANY_CHAIN): () => void {
    this.emitter.on(chainId, listener);
    return () => this.emitter.off(chainId, listener);
  }
}
