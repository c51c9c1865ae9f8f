import type { ChainError, ChainEventPayload, ChainStatus } from '@chainlog/shared';
import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { ChainEventRow, ChainRow, NewChain } from '../tables/chain.js';
import { toJsonb } from '../jsonb.js';

export async function insertChain(db: Db, chain: NewChain): Promise<void> {
  await db.insertInto('chain').values(chain).execute();
}

/**
 * Sets a running chain's final status and stores its chain_finished event, in one transaction: a chain is never
 * over without the event that tells subscribers so. Returns the event, or undefined if the chain was not running.
 */
export async function finishChain(
  db: Db,
  chainId: string,
  status: Exclude<ChainStatus, 'running'>,
  error: ChainError | null,
): Promise<ChainEventRow | undefined> {
  return db.transaction().execute(async (transaction) => {
    const updated = await transaction
      .updateTable('chain')
      .set({ status, error: error === null ? null : toJsonb(error), finished_at: new Date() })
      .where('id', '=', chainId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (!updated) return undefined;
    return insertChainEvent(transaction, chainId, { type: 'chain_finished', status, error });
  });
}

export async function insertChainEvent(db: Db, chainId: string, payload: ChainEventPayload): Promise<ChainEventRow> {
  return db
    .insertInto('chain_event')
    .values({ chain_id: chainId, type: payload.type, payload: toJsonb(payload) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A chain's events after `afterId` (exclusive), in order. Ids compare as int8, not as text. */
export async function listChainEventsAfter(db: Db, chainId: string, afterId: string | null): Promise<ChainEventRow[]> {
  let query = db.selectFrom('chain_event').selectAll().where('chain_id', '=', chainId);
  if (afterId !== null) query = query.where(sql<boolean>`id > ${afterId}::bigint`);
  return query.orderBy('id').execute();
}

/**
 * The events of several chains, each after its own id (exclusive), in id order: one statement however many chains.
 * Each `afterId` is a decimal int8.
 */
export async function listChainEventsAfterEach(db: Db, windows: readonly { chainId: string; afterId: string }[]): Promise<ChainEventRow[]> {
  if (windows.length === 0) return [];
  const chainIds = windows.map((window) => window.chainId);
  const afterIds = windows.map((window) => window.afterId);
  const { rows } = await sql<ChainEventRow>`
    select e.* from chain_event e
    join unnest(${chainIds}::uuid[], ${afterIds}::bigint[]) as w(chain_id, after_id) on e.chain_id = w.chain_id and e.id > w.after_id
    order by e.id`.execute(db);
  return rows;
}

/** Chains still running, and chains that finished at or after `finishedSince` (when given). */
export async function listChainIdsActiveSince(db: Db, finishedSince: Date | undefined): Promise<string[]> {
  const rows = await db
    .selectFrom('chain')
    .select('id')
    .where((where) => (finishedSince ? where.or([where('status', '=', 'running'), where('finished_at', '>=', finishedSince)]) : where('status', '=', 'running')))
    .execute();
  return rows.map((row) => row.id);
}

export async function findChain(db: Db, chainId: string): Promise<ChainRow | undefined> {
  return db.selectFrom('chain').selectAll().where('id', '=', chainId).executeTakeFirst();
}

export interface ChainFilters {
  status?: ChainStatus | undefined;
  name?: string | undefined;
  /** The last id of the previous page: chain ids are UUID v7, so id order is time order. */
  cursor?: string | undefined;
  limit: number;
}

/** Newest first. */
export async function listChains(db: Db, filters: ChainFilters): Promise<ChainRow[]> {
  let query = db.selectFrom('chain').selectAll();
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.name) query = query.where('name', '=', filters.name);
  if (filters.cursor) query = query.where('id', '<', filters.cursor);
  return query.orderBy('id', 'desc').limit(filters.limit).execute();
}
