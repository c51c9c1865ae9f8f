import type { ChainError, ChainEvent, ChainEventPayload } from '@chainlog/shared';
import { readStoredPayload } from '../db/chain-event-payloads.js';
import type { Db } from '../db/client.js';
import { toJsonb } from '../db/jsonb.js';
import { type ChainOwner, insertChainEvent, insertOwnedChainEvent } from '../db/queries/chains.js';
import type { ChainEventRow } from '../db/tables/chain.js';
import type { ChainEventBus } from './event-bus.js';

/** The chain was handed to another instance (this one was taken for dead): this run of it must stop. */
export class ChainTakenOverError extends Error {
  override name = 'ChainTakenOverError';
  constructor(chainId: string) {
    super(
      `chain ${chainId} is no longer this instance's to run (it was taken for dead and the chain resumed elsewhere)`,
    );
  }
}

/**
 * Stores the event, then tells live subscribers: an event a subscriber sees can always be replayed. With `owner`,
 * only while the chain still belongs to it, and with `thrown` beside it (what a failed step threw, for the journal).
 * @throws ChainTakenOverError when the chain no longer belongs to `owner`.
 */
export async function recordChainEvent(
  db: Db,
  bus: ChainEventBus,
  chainId: string,
  payload: ChainEventPayload,
  owner?: ChainOwner,
  thrown?: unknown,
): Promise<ChainEvent> {
  const row = owner
    ? await insertOwnedChainEvent(db, chainId, payload, owner, thrown === undefined ? null : toJsonb(thrown))
    : await insertChainEvent(db, chainId, payload);
  if (!row) throw new ChainTakenOverError(chainId);
  const event = toChainEvent(row);
  bus.publish(event, row.previous_id);
  return event;
}

export type ChainFinished = Extract<ChainEventPayload, { type: 'chain_finished' }>;

/** The event that ends a chain, and says how: stored with its final status (finishChain). */
export function chainFinished(status: ChainFinished['status'], error: ChainError | null): ChainFinished {
  return { type: 'chain_finished', status, error };
}

/** How a chain ends when its process died and it has no job to be resumed by (made before chains were jobs). */
export const INTERRUPTED: ChainError = {
  class: 'Interrupted',
  message: 'the server stopped before this chain finished',
};

/** A stored event as subscribers get it: its payload read as today's wire shape, whatever version stored it. */
export function toChainEvent(row: ChainEventRow): ChainEvent {
  return {
    id: String(row.id),
    chainId: row.chain_id,
    createdAt: row.created_at.toISOString(),
    payload: readStoredPayload(row.payload_version, row.payload),
  };
}
