import type { ChainEvent } from '@chainlog/shared';
import { ChainEventFanOut } from '../src/chains/chain-event-fan-out.js';
import type { ChainEventBus } from '../src/chains/event-bus.js';
import type { Db } from '../src/db/client.js';

/**
 * Every event of a chain, in order, from the stream behind chains.events (stored ones, then live ones) until it
 * ends after chain_finished: the process's own fan-out when `dependencies` has one, else one of its own. Rejects, naming the events seen, when the chain has not finished within `timeoutMs`:
 * the stream ends when its signal aborts.
 */
export async function followChain(
  dependencies: { db: Db; bus: ChainEventBus; chainEvents?: ChainEventFanOut },
  chainId: string,
  timeoutMs = 10_000,
): Promise<ChainEvent[]> {
  const events: ChainEvent[] = [];
  const chainEvents = dependencies.chainEvents ?? new ChainEventFanOut(dependencies);
  for await (const event of chainEvents.follow(chainId, null, AbortSignal.timeout(timeoutMs))) events.push(event);
  if (events.at(-1)?.payload.type !== 'chain_finished') {
    const seen = events.map((event) => event.payload.type).join(', ') || 'none';
    throw new Error(`chain ${chainId} did not finish within ${timeoutMs} ms; events seen: ${seen}`);
  }
  return events;
}

/** A chain event as the server has it, or as a client receives it (where JSON leaves `output` optional). */
interface EventLike {
  payload: { type: string; step?: number };
}

/** The payload types of `events`, with the step number where there is one: `step_started 1`. */
export function eventSequence(events: readonly EventLike[]): string[] {
  return events.map(({ payload }) => (payload.step === undefined ? payload.type : `${payload.type} ${payload.step}`));
}
