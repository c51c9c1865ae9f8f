import type { ChainEvent } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { findChain, listChainEventsAfter } from '../db/queries/chains.js';
import { toChainEvent } from './chain-events.js';
import type { ChainEventBus } from './event-bus.js';

/** No chain (recorded by a runner) has this id: it has no events to follow. */
export class UnknownChainError extends Error {
  override name = 'UnknownChainError';
  constructor(readonly chainId: string) {
    super(`no chain ${chainId}`);
  }
}

/**
 * Every event of a chain after `lastEventId`: the stored ones, then live ones, each exactly once, ending after
 * chain_finished. Listens before it replays, so an event stored in between is not lost; drops ids already sent.
 * @throws UnknownChainError, before any event, when no chain has this id.
 */
export async function* streamChainEvents(
  dependencies: { db: Db; bus: ChainEventBus },
  chainId: string,
  lastEventId: string | null,
  signal: AbortSignal | undefined,
): AsyncGenerator<ChainEvent> {
  const live = new LiveQueue(signal);
  const unsubscribe = dependencies.bus.subscribe((event) => live.push(event), chainId);
  try {
    let lastSent = lastEventId === null ? -1n : BigInt(lastEventId);
    // Read before the backlog: a chain that is over writes nothing more, so the backlog is all there is (a resume
    // from chain_finished's own id would otherwise wait for an event that never comes). Its final status and
    // chain_finished commit together.
    const chain = await findChain(dependencies.db, chainId);
    if (!chain) throw new UnknownChainError(chainId);
    const over = chain.status !== 'running';
    const stored = (await listChainEventsAfter(dependencies.db, chainId, lastEventId)).map(toChainEvent);
    if (over) {
      yield* stored;
      return;
    }
    for await (const event of live.after(stored)) {
      if (BigInt(event.id) <= lastSent) continue;
      lastSent = BigInt(event.id);
      yield event;
      if (event.payload.type === 'chain_finished') return;
    }
  } finally {
    unsubscribe();
  }
}

/** Events of every chain, live, for lists that update themselves. */
export async function* streamAllChainEvents(
  bus: ChainEventBus,
  signal: AbortSignal | undefined,
): AsyncGenerator<ChainEvent> {
  const live = new LiveQueue(signal);
  const unsubscribe = bus.subscribe((event) => live.push(event));
  try {
    yield* live.after([]);
  } finally {
    unsubscribe();
  }
}

/** Buffers pushed events and hands them out after a backlog, until the signal aborts. */
class LiveQueue {
  private readonly buffer: ChainEvent[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal | undefined) {
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  push(event: ChainEvent): void {
    this.buffer.push(event);
    this.wake?.();
  }

  async *after(backlog: readonly ChainEvent[]): AsyncGenerator<ChainEvent> {
    yield* backlog;
    while (!this.signal?.aborted) {
      const next = this.buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}
