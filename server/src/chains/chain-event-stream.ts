import type { ChainEvent } from '@chainlog/shared';
import type { ChainEventBus } from './event-bus.js';

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
