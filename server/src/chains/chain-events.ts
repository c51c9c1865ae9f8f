import type { ChainEvent, ChainEventPayload } from '@chainlog/shared';
import { readStoredPayload } from '../db/chain-event-payloads.js';
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

/** A stored event as subscribers get it: its payload read as today's wire shape, whatever version stored it. */
export function toChainEvent(row: ChainEventRow): ChainEvent {
  return { id: String(row.id), chainId: row.chain_id, createdAt: row.created_at.toISOString(), payload: readStoredPayload(row.payload_version, row.payload) };
}
