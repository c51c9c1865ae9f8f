import type { ChainEventPayload, ChainStatus } from '@chainlog/shared';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../client.js';
import type { ChainEventRow, ChainRow, NewChain } from '../tables/chain.js';
import { CURRENT_PAYLOAD_VERSION } from '../chain-event-payloads.js';
import { toJsonb } from '../jsonb.js';
import { isoMicroseconds } from './iso-microseconds.js';

export async function insertChain(db: Db, chain: NewChain): Promise<void> {
  await db.insertInto('chain').values(chain).execute();
}

/**
 * Removes a chain whose submission's commit was sent but never confirmed, with what `removeRows` removes of it (its
 * domain rows, its job), so a caller told that it failed finds nothing stored. The chain's key is taken first, by an
 * insert that waits for any transaction still holding it: a commit still under way lands before the removal, not
 * after it. Returns whether it had landed.
 */
export async function removeUnconfirmedChain(
  db: Db,
  chain: NewChain,
  removeRows: (transaction: Db) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (transaction) => {
    const placeholder = await transaction
      .insertInto('chain')
      .values(chain)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    await removeRows(transaction);
    await transaction.deleteFrom('chain').where('id', '=', chain.id).execute();
    return placeholder === undefined;
  });
}

/** Locks the chain's row if it is running and belongs to `owner`; whether it does. */
export async function lockRunningChainOf(transaction: Db, chainId: string, owner: ChainOwner): Promise<boolean> {
  const row = await transaction
    .selectFrom('chain')
    .select('id')
    .where('id', '=', chainId)
    .where('status', '=', 'running')
    .where(sql<boolean>`instance_id is not distinct from ${owner.instanceId}`)
    .forUpdate()
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The kind (name) of each of the chains, and whether it was created more than `graceMs` ago (by the database's
 * clock); a chain with no row is left out.
 */
export async function listChainKinds(
  db: Db,
  chainIds: readonly string[],
  graceMs: number,
): Promise<{ id: string; name: string; overdue: boolean }[]> {
  if (chainIds.length === 0) return [];
  return db
    .selectFrom('chain')
    .select(['id', 'name', sql<boolean>`created_at < now() - ${graceMs} * interval '1 millisecond'`.as('overdue')])
    .where('id', 'in', chainIds)
    .execute();
}

/** Records which instance runs the chains it took from the queue (in the transaction that took them). */
export async function claimChains(db: Db, chainIds: readonly string[], instanceId: string | null): Promise<void> {
  if (chainIds.length === 0) return;
  await db.updateTable('chain').set({ instance_id: instanceId }).where('id', 'in', chainIds).execute();
}

/**
 * Sets a running chain's final status and stores its chain_finished event (which says the status), in one
 * transaction: a chain is never over without the event that tells subscribers so. Returns the event, or undefined if
 * the chain was not running (or, with `owner`, not its).
 */
export async function finishChain(
  db: Db,
  chainId: string,
  finished: Extract<ChainEventPayload, { type: 'chain_finished' }>,
  owner?: ChainOwner,
  /** Runs in the same transaction once the chain is finished (the chain's job marked done). */
  alsoWhenFinished?: (transaction: Db) => Promise<void>,
): Promise<StoredChainEventRow | undefined> {
  const { status, error } = finished;
  return db.transaction().execute(async (transaction) => {
    let update = transaction
      .updateTable('chain')
      .set({ status, error: error === null ? null : toJsonb(error), finished_at: new Date() })
      .where('id', '=', chainId)
      .where('status', '=', 'running');
    if (owner) update = update.where(sql<boolean>`instance_id is not distinct from ${owner.instanceId}`);
    const updated = await update.returning('id').executeTakeFirst();
    if (!updated) return undefined;
    const event = await insertChainEvent(transaction, chainId, finished);
    await alsoWhenFinished?.(transaction);
    return event;
  });
}

/**
 * A stored event with the id of the chain's event before it, as the insert saw the table (null for its first): the
 * process that stored it can tell whether its subscribers have everything up to it (ChainEventFeed).
 */
export type StoredChainEventRow = ChainEventRow & { previous_id: string | null };

// Correlated on the new row's id, so it holds whether or not the statement's snapshot shows the new row.
const PREVIOUS_EVENT_ID = sql<
  string | null
>`(select max(earlier.id)::text from chain_event as earlier where earlier.chain_id = chain_event.chain_id and earlier.id < chain_event.id)`.as(
  'previous_id',
);

/** The instance a chain's run must still belong to (chain.instance_id) for what it records to be stored. */
export interface ChainOwner {
  instanceId: string | null;
}

export async function insertChainEvent(
  db: Db,
  chainId: string,
  payload: ChainEventPayload,
): Promise<StoredChainEventRow> {
  return db
    .insertInto('chain_event')
    .values({
      chain_id: chainId,
      type: payload.type,
      payload: toJsonb(payload),
      payload_version: CURRENT_PAYLOAD_VERSION,
    })
    .returningAll()
    .returning(PREVIOUS_EVENT_ID)
    .executeTakeFirstOrThrow();
}

/**
 * Stores the event only while the chain is running and belongs to `owner`: a run taken for dead and handed to
 * another instance stores nothing more. Undefined when it was not stored. `thrown` (jsonb text) goes in the column
 * of that name.
 */
export async function insertOwnedChainEvent(
  db: Db,
  chainId: string,
  payload: ChainEventPayload,
  owner: ChainOwner,
  thrown: string | null = null,
): Promise<StoredChainEventRow | undefined> {
  return db
    .insertInto('chain_event')
    .columns(['chain_id', 'type', 'payload', 'payload_version', 'thrown'])
    .expression(
      db
        .selectFrom('chain')
        .select([
          'chain.id',
          sql<string>`${payload.type}`.as('type'),
          sql<string>`${toJsonb(payload)}::jsonb`.as('payload'),
          sql<number>`${CURRENT_PAYLOAD_VERSION}::smallint`.as('payload_version'),
          sql<string | null>`${thrown}::jsonb`.as('thrown'),
        ])
        .where('chain.id', '=', chainId)
        .where('chain.status', '=', 'running')
        .where(sql<boolean>`chain.instance_id is not distinct from ${owner.instanceId}`),
    )
    .returningAll()
    .returning(PREVIOUS_EVENT_ID)
    .executeTakeFirst();
}

/** A chain's events after `afterId` (exclusive), in order. Ids compare as int8, not as text. */
export async function listChainEventsAfter(db: Db, chainId: string, afterId: string | null): Promise<ChainEventRow[]> {
  let query = db.selectFrom('chain_event').selectAll().where('chain_id', '=', chainId);
  if (afterId !== null) query = query.where(sql<boolean>`id > ${afterId}::bigint`);
  return query.orderBy('id').execute();
}

/** A chain's status and some of its events, read in one statement (one snapshot of both). */
export interface ChainEventsRead {
  status: ChainStatus;
  /** Its events after `afterId` (and at most `upToId`), in id order. */
  events: ChainEventRow[];
  /** The id of its last event at or before `afterId` (int8 as text); null when it has none. */
  lastAtOrBefore: string | null;
}

/**
 * A chain's status with its events after `afterId` (exclusive; all when null) and at most `upToId` (when given), in
 * one statement: a finished chain's chain_finished (stored with its final status) is among them. Undefined when no
 * chain has this id. Ids are decimal int8.
 */
export async function readChainEvents(
  db: Db,
  chainId: string,
  window: { afterId: string | null; upToId?: string | undefined },
): Promise<ChainEventsRead | undefined> {
  const afterId = window.afterId ?? '-1';
  const upTo = window.upToId === undefined ? sql<boolean>`true` : sql<boolean>`e.id <= ${window.upToId}::bigint`;
  const rows = await db
    .selectFrom('chain as c')
    .leftJoin('chain_event as e', (join) =>
      join.onRef('e.chain_id', '=', 'c.id').on(sql<boolean>`e.id > ${afterId}::bigint and ${upTo}`),
    )
    .select([
      'c.status',
      // Not correlated: planned once, whatever the number of rows.
      sql<
        string | null
      >`(select max(b.id)::text from chain_event b where b.chain_id = ${chainId} and b.id <= ${afterId}::bigint)`.as(
        'last_at_or_before',
      ),
      'e.id',
      'e.chain_id',
      'e.type',
      'e.payload',
      'e.payload_version',
      'e.thrown',
      'e.created_at',
    ])
    .where('c.id', '=', chainId)
    .orderBy('e.id')
    .execute();
  const [first] = rows;
  if (!first) return undefined;
  const events: ChainEventRow[] = [];
  for (const row of rows) {
    const { id, chain_id, type, payload_version, created_at } = row;
    // The chain's one row without an event, when it has none in the window.
    if (id === null || chain_id === null || type === null || payload_version === null || created_at === null) continue;
    events.push({ id, chain_id, type, payload: row.payload, payload_version, thrown: row.thrown, created_at });
  }
  return { status: first.status, events, lastAtOrBefore: first.last_at_or_before };
}

/**
 * The events of several chains, each after its own id (exclusive), in id order: one statement however many chains.
 * Each `afterId` is a decimal int8.
 */
export async function listChainEventsAfterEach(
  db: Db,
  windows: readonly { chainId: string; afterId: string }[],
): Promise<ChainEventRow[]> {
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
    .where((where) =>
      finishedSince
        ? where.or([where('status', '=', 'running'), where('finished_at', '>=', finishedSince)])
        : where('status', '=', 'running'),
    )
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

/** One chain of the list: its `chain` row where one exists, and its log's totals from `chain_summary`. */
export interface ChainListRow {
  chain_id: string;
  name: string;
  status: ChainStatus;
  /** The chain row's input; null for a chain only the log knows. */
  input: unknown;
  /** The chain row's error; for a chain only the log knows that failed, the error of its first call that failed for good. */
  error: unknown;
  /** The chain row's creation, else the first call's start. */
  created_at: Date;
  finished_at: Date | null;
  /** The same times to the microsecond, as ISO 8601 text (the export's). */
  created_at_iso: string;
  finished_at_iso: string | null;
  recorded: boolean;
  calls: number;
  attempts: number;
  errors: number;
  /** Null where no attempt reported usage, as in chain_summary (the export keeps it so; chains.list says 0). */
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: string | null;
  wall_ms: number | null;
}

// Candidates asked for at once when a filter may drop some of them (see listChainsWithTotals); doubled per round.
const MAX_CANDIDATES = 1_000;

/**
 * Every chain the log or the chain table knows, newest (highest id) first, with its totals. The page of chain ids is
 * taken first, from the two tables' id indexes, and chain_summary is then asked for each id: filtering the view on
 * anything but chain_id would summarise every chain of the log first.
 *
 * A chain with a `chain` row is filtered on that row. A chain only the log knows takes its name from its first call
 * and its status from its calls (chain_summary's rules), so its candidates are found by a condition on its rows and
 * checked once summarised; when that check leaves the page short, the next candidates are read, until the page is
 * full or the log has no more.
 */
export async function listChainsWithTotals(db: Db, filters: ChainFilters): Promise<ChainListRow[]> {
  const found: ChainListRow[] = [];
  let cursor = filters.cursor;
  let candidates = filters.limit;
  for (;;) {
    const rows = await chainPage(db, { ...filters, cursor, limit: candidates });
    found.push(
      ...rows.filter(
        (row) => (!filters.status || row.status === filters.status) && (!filters.name || row.name === filters.name),
      ),
    );
    if (found.length >= filters.limit || rows.length < candidates) return found.slice(0, filters.limit);
    cursor = rows.at(-1)?.chain_id;
    candidates = Math.min(candidates * 2, MAX_CANDIDATES);
  }
}

/** The failed log row `alias` stands for was not retried: no later attempt of its call follows (chain_summary's rule). */
function notRetried(alias: 'log' | 'failed') {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql`not exists (
    select 1 from inference_log as retry
    where retry.call_id = coalesce(${column('call_id')}, ${column('id')}) and retry.attempt > 1
      and retry.attempt > ${column('attempt')})`;
}

/** `limit` candidates below the cursor, each with its summary; the name and status filters are not yet exact here. */
async function chainPage(db: Db, filters: ChainFilters): Promise<ChainListRow[]> {
  const below = (column: RawBuilder<unknown>) => (filters.cursor ? sql`and ${column} < ${filters.cursor}` : sql``);
  const recorded = sql`
    select id as chain_id from chain
    where true ${below(sql.ref('id'))}
      ${filters.status ? sql`and status = ${filters.status}` : sql``}
      ${filters.name ? sql`and name = ${filters.name}` : sql``}
    order by id desc
    limit ${filters.limit}`;
  // Which log rows stand for a chain only the log knows that passes the filter, by chain_summary's rules: a row of
  // its first call (the name with the earliest call, then the first in order) for a name; an attempt that failed and
  // was not retried for failed; a pending one for running; an answered one for succeeded (a few such chains turn out
  // to be failed or running, and are dropped once summarised). Such a chain is never interrupted.
  const logCondition = sql.join(
    [
      ...(filters.name
        ? [
            sql`log.name = ${filters.name}`,
            sql`not exists (
              select 1 from inference_log as earlier
              where earlier.chain_id = log.chain_id and (earlier.created_at, earlier.name) < (log.created_at, log.name))`,
          ]
        : []),
      ...(filters.status === 'failed' ? [sql`log.status = 'error'`, notRetried('log')] : []),
      ...(filters.status === 'running' ? [sql`log.status = 'pending'`] : []),
      ...(filters.status === 'succeeded' ? [sql`log.status = 'ok'`] : []),
      ...(filters.status === 'interrupted' ? [sql`false`] : []),
      // offset 0 keeps this a probe of the chain key per row, in the order of the rows: as an anti join, PostgreSQL
      // (which expects next to no log row without a chain row) hashes every chain id and the rows of the whole filter
      // before it can return the first candidate, even when the first few rows of a name fill the page.
      sql`not exists (select 1 from chain where chain.id = log.chain_id offset 0)`,
    ],
    sql` and `,
  );
  const unrecorded = sql`
    select distinct log.chain_id from inference_log as log
    where ${logCondition} ${below(sql.ref('log.chain_id'))}
    order by log.chain_id desc
    limit ${filters.limit}`;
  const createdAt = sql<Date>`coalesce(chain.created_at, summary.first_call_at)`;
  const finishedAt = sql<Date | null>`case when chain.id is not null then chain.finished_at
    when summary.status <> 'running' then summary.last_call_at end`;
  const { rows } = await sql<ChainListRow>`
    select
      page.chain_id,
      coalesce(chain.name, summary.name) as name,
      coalesce(chain.status, summary.status) as status,
      chain.input,
      case when chain.id is not null then chain.error when summary.status = 'failed' then failure.error end as error,
      ${createdAt} as created_at,
      ${finishedAt} as finished_at,
      ${isoMicroseconds(createdAt)} as created_at_iso,
      ${isoMicroseconds(finishedAt)} as finished_at_iso,
      (chain.id is not null) as recorded,
      coalesce(summary.calls, 0) as calls,
      coalesce(summary.attempts, 0) as attempts,
      coalesce(summary.errors, 0) as errors,
      summary.input_tokens,
      summary.output_tokens,
      summary.cost_usd,
      summary.wall_ms
    from (
      select chain_id from ((${recorded}) union (${unrecorded})) as candidates
      order by chain_id desc
      limit ${filters.limit}
    ) as page
    left join chain on chain.id = page.chain_id
    -- offset 0 keeps the planner from merging the view into a join that would summarise every chain first.
    left join lateral (select * from chain_summary where chain_summary.chain_id = page.chain_id offset 0) as summary on true
    left join lateral (${firstFailure(sql.ref('page.chain_id'), sql`chain.id is null and summary.status = 'failed'`)}) as failure on true
    order by page.chain_id desc`.execute(db);
  return rows;
}

/**
 * The attempt that failed for good first in the log (chain_summary's rule): what a chain only the log knows failed
 * of, as `{ class, message }`; asked only `when` that holds (a condition on the outer row, checked once).
 */
function firstFailure(chainId: RawBuilder<unknown>, when: RawBuilder<unknown>) {
  return sql`
    select jsonb_build_object('class', coalesce(failed.error->>'class', 'Error'), 'message', coalesce(failed.error->>'message', '')) as error
    from inference_log as failed
    where ${when} and failed.chain_id = ${chainId} and failed.status = 'error' and ${notRetried('failed')}
    order by failed.created_at, failed.id
    limit 1`;
}

/** A chain only the log knows as chain_summary reads all its rows (chains.list's figures); undefined if none. */
export async function findLogChain(db: Db, chainId: string) {
  const { rows } = await sql<{
    name: string;
    status: ChainStatus;
    error: unknown;
    first_call_at: Date;
    last_call_at: Date;
  }>`
    select summary.name, summary.status, failure.error, summary.first_call_at, summary.last_call_at
    from (select * from chain_summary where chain_id = ${chainId} and not has_chain_row offset 0) as summary
    left join lateral (${firstFailure(sql`${chainId}::uuid`, sql`summary.status = 'failed'`)}) as failure on true`.execute(
    db,
  );
  return rows[0];
}
