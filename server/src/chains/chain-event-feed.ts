import type { ChainEvent } from '@chainlog/shared';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import type { ListeningGap, NotificationHandlers, NotificationListener } from '../db/notification-listener.js';
import { listChainEventsAfterEach, listChainIdsActiveSince } from '../db/queries/chains.js';
import { log } from '../log.js';
import { toChainEvent } from './chain-events.js';
import type { ChainEventBus } from './event-bus.js';

const feedLog = log.withTag('chains');

/** The channel the chain_event trigger announces each stored event on (migration 2026-12-03T1100-chain-event-notify). */
export const CHAIN_EVENT_CHANNEL = 'chainlog_chain_event';
/**
 * After a reconnect, chains that finished up to this long before the connection was lost are read again: it covers
 * an insert that began before and committed after, and another process's clock (it sets finished_at) running behind.
 */
const CATCH_UP_SLACK_MS = 30_000;
/** How long a finished chain's cursor is kept (while listening), so a catch-up does not deliver its events twice. */
const FINISHED_CURSOR_RETENTION_MS = 120_000;
/** How often finished chains' cursors are looked over. */
const FORGET_INTERVAL_MS = 10_000;
/** How long this process remembers the last event it stored of a chain that did not finish here. */
const STORED_HERE_RETENTION_MS = 600_000;
/** Waits before reading again after a read failed for another reason than an unreachable database. */
const READ_RETRY_MS = 500;

const announcementSchema = z.object({ schema: z.string(), chainId: z.string(), id: z.string().regex(/^\d+$/) });

export interface ChainEventFeedOptions {
  db: Db;
  bus: ChainEventBus;
  status: DatabaseStatus;
  /** The schema this process's tables live in: channels span the database, so other schemas' events are skipped. */
  schema: string;
  listen: (channel: string, handlers: NotificationHandlers) => NotificationListener;
}

/** The last event delivered of one chain, and when its chain_finished was (Date.now()), if it was. */
interface Cursor {
  lastId: bigint;
  finishedAt: number | undefined;
}

/**
 * Delivers every stored chain event, whichever process stored it, to this process's subscribers (through the bus):
 * each exactly once and in order within its chain. The database announces each event after its commit (chain id
 * and event id); the feed reads the rows themselves from chain_event, per chain after the last id it delivered of
 * that chain. Event ids come from one sequence but commit in any order across chains, so the cursor is per chain:
 * one chain's events are stored one after another, so they commit in id order.
 *
 * Only what someone here follows is read: a chain with a chains.events subscriber, or every chain while a
 * chains.changes subscriber is open. Each subscriber replays its own backlog from the table before it takes live
 * events (and drops ids it already has), so the feed needs no history: a chain it starts following is read from
 * the first event it is told of. After its connection was lost, the feed reads what it may have missed: the chains
 * followed, and (for chains.changes) the chains running or finished since shortly before the loss.
 *
 * The events this process stores itself need no announcement: they are handed to `stored` as they commit, and
 * delivered at once unless something of their chain may be missing before them (see there).
 */
export class ChainEventFeed {
  private readonly cursors = new Map<string, Cursor>();
  /**
   * Per chain, the last event this process stored such that every event of the chain up to it has reached every
   * subscriber here: delivered to those that were listening, stored before the others subscribed (their backlog).
   * With `at`, when (Date.now()) it was stored, so chains that finished elsewhere are forgotten.
   */
  private readonly reachedHere = new Map<string, { lastId: bigint; at: number }>();
  /** Chains to read, each after this id unless its cursor is already further. */
  private readonly pending = new Map<string, bigint>();
  private catchUp: { finishedSince: Date | undefined } | undefined;
  private reading: Promise<void> | undefined;
  private forgotAt = 0;
  private readonly listener: NotificationListener;

  constructor(private readonly options: ChainEventFeedOptions) {
    this.listener = options.listen(CHAIN_EVENT_CHANNEL, {
      onNotification: (payload) => this.announced(payload),
      onListening: (gap) => this.listening(gap),
    });
    options.bus.takeOwnEvents((event, previousId) => this.stored(event, previousId));
  }

  /**
   * An event this process stored, handed over right after its commit. It is delivered at once when nothing of its
   * chain can be missing before it: its chain's previous event (`previousId`, as its insert saw the table) is the
   * last one delivered here, or one this process stored before anyone here followed the chain (see reachedHere),
   * or it has none. Otherwise there may be a gap (an event stored by another instance that is not yet read here,
   * an insert retried after its commit's answer was lost), and the table is read after the chain's cursor at once.
   * Its own announcement arrives later and finds the cursor at or past it: dropped.
   */
  stored(event: ChainEvent, previousId: string | null | undefined): void {
    const { chainId } = event;
    const id = BigInt(event.id);
    const finished = event.payload.type === 'chain_finished';
    const reached = this.reachedHere.get(chainId);
    this.reachedHere.delete(chainId);
    this.forgetFinished();
    if (!this.options.bus.wants(chainId)) {
      // Nobody here follows it: whoever does later replays up to here from the table first.
      if (!this.pending.has(chainId)) this.cursors.delete(chainId);
      if (!finished) this.reachedHere.set(chainId, { lastId: id, at: Date.now() });
      return;
    }
    const cursor = this.cursors.get(chainId);
    const upTo = cursor ? cursor.lastId : reached?.lastId;
    const previous = previousId === null ? 0n : previousId === undefined ? undefined : BigInt(previousId);
    const delivered = cursor !== undefined && cursor.lastId >= id;
    if (delivered || (previous !== undefined && (previous === 0n || (upTo !== undefined && upTo >= previous)))) {
      if (!finished) this.reachedHere.set(chainId, { lastId: id, at: Date.now() });
      // Already delivered: a read found it, after its announcement came before its insert's answer.
      if (delivered) return;
      this.cursors.set(chainId, { lastId: id, finishedAt: finished ? Date.now() : cursor?.finishedAt });
      this.options.bus.deliver(event);
      return;
    }
    // Perhaps a gap. With a cursor, read after it now; without one, the announcement says where to read from.
    if (!cursor) return;
    this.add(chainId, cursor.lastId);
    this.kick();
  }

  /** The server process id of the listening connection, undefined while it is away (for operators and tests). */
  listenerBackendPid(): number | undefined {
    return this.listener.backendPid();
  }

  private announced(payload: string): void {
    const announcement = parseAnnouncement(payload);
    if (!announcement) {
      feedLog.warn(`an announcement on ${CHAIN_EVENT_CHANNEL} that is not a chain event's was ignored`);
      return;
    }
    if (announcement.schema !== this.options.schema) return;
    const { chainId } = announcement;
    const id = BigInt(announcement.id);
    if (!this.options.bus.wants(chainId)) {
      // Nobody here follows it: a cursor would go stale. Whoever follows it later replays from the table first.
      if (!this.pending.has(chainId)) this.cursors.delete(chainId);
      return;
    }
    const cursor = this.cursors.get(chainId);
    // Already delivered: an earlier read found it along with the event it was told of then.
    if (cursor && cursor.lastId >= id) return;
    // A chain not followed until now is read from this event: the earlier ones committed before it was announced.
    this.add(chainId, cursor?.lastId ?? id - 1n);
    this.kick();
  }

  private listening(gap: ListeningGap | undefined): void {
    const { bus } = this.options;
    if (!bus.listensToEveryChain() && bus.followedChains().length === 0) return;
    this.catchUp = { finishedSince: gap ? new Date(gap.lostAt.getTime() - CATCH_UP_SLACK_MS) : undefined };
    this.kick();
  }

  private add(chainId: string, afterId: bigint): void {
    const queued = this.pending.get(chainId);
    this.pending.set(chainId, queued === undefined || afterId < queued ? afterId : queued);
  }

  /** One read at a time: announcements that come meanwhile gather for the next one, so reads batch under load. */
  private kick(): void {
    this.reading ??= this.readWhilePending().finally(() => {
      this.reading = undefined;
    });
  }

  private async readWhilePending(): Promise<void> {
    while (!this.listener.isClosed() && (this.catchUp || this.pending.size > 0)) {
      try {
        // The catch-up's chains join before anything announced since the reconnect is read: read first from the
        // announced id, a chain would then start past the events it stored while the connection was away.
        if (this.catchUp) await this.planCatchUp(this.catchUp);
        await this.readPending();
      } catch (error) {
        const { status } = this.options;
        if (!status.reportFailure(error)) feedLog.error('could not read announced chain events; trying again', error);
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS).unref());
        // An unreachable database is waited for (the probe says when it is back); a closed one ends the loop.
        await status.waitUntilUp(READ_RETRY_MS * 20);
      }
    }
  }

  private async planCatchUp(catchUp: { finishedSince: Date | undefined }): Promise<void> {
    const { bus, db } = this.options;
    const chainIds = new Set(bus.followedChains());
    if (bus.listensToEveryChain()) {
      for (const [chainId, cursor] of this.cursors) if (cursor.finishedAt === undefined) chainIds.add(chainId);
      for (const chainId of await listChainIdsActiveSince(db, catchUp.finishedSince)) chainIds.add(chainId);
    }
    // Unknown chains are read whole: nothing of them was delivered here, and subscribers drop what they have.
    for (const chainId of chainIds) this.add(chainId, this.cursors.get(chainId)?.lastId ?? 0n);
    // Only once planned: a failed plan is tried again.
    if (this.catchUp === catchUp) this.catchUp = undefined;
  }

  private async readPending(): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    const windows = batch.map(([chainId, afterId]) => ({
      chainId,
      afterId: String(this.cursors.get(chainId)?.lastId ?? afterId),
    }));
    let rows: Awaited<ReturnType<typeof listChainEventsAfterEach>>;
    try {
      rows = await listChainEventsAfterEach(this.options.db, windows);
    } catch (error) {
      for (const [chainId, afterId] of batch) this.add(chainId, afterId);
      throw error;
    }
    for (const row of rows) {
      const chainId = row.chain_id;
      const id = BigInt(row.id);
      const cursor = this.cursors.get(chainId);
      if (cursor && id <= cursor.lastId) continue;
      let event: ReturnType<typeof toChainEvent> | undefined;
      try {
        event = toChainEvent(row);
      } catch (error) {
        feedLog.error(`chain ${chainId}: stored event ${id} does not parse; subscribers here skip it`, error);
      }
      this.cursors.set(chainId, {
        lastId: id,
        finishedAt: row.type === 'chain_finished' ? Date.now() : cursor?.finishedAt,
      });
      if (event) this.options.bus.deliver(event);
    }
    this.forgetFinished();
  }

  /**
   * Drops cursors of chains finished a while ago, only while listening: a catch-up may still need them; and what
   * this process stored of chains it has not stored anything of for long (they finished elsewhere, or wait long:
   * forgetting only means their next event is read from the table).
   */
  private forgetFinished(): void {
    const now = Date.now();
    if (this.listener.backendPid() === undefined || now - this.forgotAt < FORGET_INTERVAL_MS) return;
    this.forgotAt = now;
    for (const [chainId, stored] of this.reachedHere)
      if (stored.at < now - STORED_HERE_RETENTION_MS) this.reachedHere.delete(chainId);
    const before = now - FINISHED_CURSOR_RETENTION_MS;
    for (const [chainId, cursor] of this.cursors) {
      if (cursor.finishedAt !== undefined && cursor.finishedAt < before && !this.pending.has(chainId))
        this.cursors.delete(chainId);
    }
  }
}

function parseAnnouncement(payload: string): z.infer<typeof announcementSchema> | undefined {
  try {
    const parsed = announcementSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : undefined;
  } catch (error) {
    // Not JSON: not one of ours, like a payload that fails the schema.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
