import { type ChainEvent, type ChainEventPayload, chainEventPayloadSchema } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { insertChainEvent } from '../db/queries/chains.js';
import type { ChainEventRow } from '../db/tables/chain.js';
import type { ChainEventBus } from './event-bus.js';

/** Stores the event, then tells live subscribers: an event a subscriber sees can always be replayed. */
export async function recordChainEvent(db: Db, bus: ChainEventBus, chainId: string, payload: ChainEventPayload): Promise<ChainEvent> {
  const row = await insertChainEvent(db, chainId, payload);
  const event = toChainEvent(row);
  bus.publish(event, row.previous_id);
  return event;
}

export function toChainEvent(row: ChainEventRow): ChainEvent {
  return { id: String(row.id), chainId: row.chain_id, createdAt: row.created_at.toISOString(), payload: chainEventPayloadSchema.parse(row.payload) };
}
