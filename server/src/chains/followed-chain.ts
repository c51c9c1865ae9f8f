import type { ChainEvent } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { readChainEvents } from '../db/queries/chains.js';
import { toChainEvent } from './chain-events.js';
import type { ChainEventBus } from './event-bus.js';
import { UnknownChainError } from './unknown-chain-error.js';

/** A position before every event id: the history then holds every event of the chain. */
export const BEFORE_EVERY_EVENT = -1n;
/** Events kept beyond what subscribers have yet to take; a subscriber that resumes from before them reads them. */
export const DEFAULT_HISTORY_LIMIT = 1_000;

/** A subscriber of a followed chain, as the chain sees it. */
export interface ChainFollower {
  /** The position of the next event it takes (see FollowedChain.stepAt); undefined until it is placed. */
  position(): number | undefined;
  /** An event was appended, or the chain is over. */
  appended(): void;
}

interface HistoryEntry {
  id: bigint;
  /** What every subscriber's next() answers with: one object per event, shared. */
  step: IteratorYieldResult<ChainEvent>;
}

interface Waiter {
  afterId: bigint;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * One chain followed by subscribers of this process, shared by all of them: one bus listener, and one history of
 * the events known here (every event of the chain after `coveredAfter`, in id order), read from the table once for
 * the subscribers who join together and extended by live events after that. A subscriber keeps only its position
 * in the history; positions are absolute, so they survive events dropped from its front or read in before it.
 *
 * Listens before it reads, and adds only live events past the last one it knows, so an event stored in between is
 * neither lost nor given twice. One chain's events commit in id order (they are stored one after another), so every
 * event of the chain after the read's `afterId` that the read did not see arrives live.
 */
export class FollowedChain {
  private entries: HistoryEntry[] = [];
  /** The position of entries[0]. */
  private firstPosition = 0;
  /** Every event after this id is in the history (or arrives live); undefined until the first read. */
  private coveredAfter: bigint | undefined;
  /** The largest event id known here. */
  private lastId = BEFORE_EVERY_EVENT;
  private over = false;
  /** Live events delivered while the first read runs. */
  private early: ChainEvent[] = [];
  private readonly followers = new Set<ChainFollower>();
  private waiters: Waiter[] = [];
  private reading = false;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly chainId: string,
    private readonly dependencies: { db: Db; bus: ChainEventBus },
    private readonly historyLimit: number,
    private readonly onClosed: () => void,
  ) {
    this.unsubscribe = dependencies.bus.subscribe((event) => this.delivered(event), chainId);
  }

  join(follower: ChainFollower): void {
    this.followers.add(follower);
  }

  /** The follower is done; the last one to leave closes the chain (it stops listening). */
  leave(follower: ChainFollower): void {
    this.followers.delete(follower);
    this.closeIfIdle();
  }

  /**
   * Resolves once the history holds every event after `afterId`: at once when it does, else after a read that the
   * subscribers waiting together share (one read at a time; who comes during it shares the next one).
   * @throws UnknownChainError when no chain has this id; the read's own error when it fails.
   */
  cover(afterId: bigint): Promise<void> {
    if (this.covers(afterId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ afterId, resolve, reject });
      this.readForWaiters();
    });
  }

  /** The position of the first event after `afterId` (call once `cover(afterId)` resolved). */
  positionAfter(afterId: bigint): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = this.entries[middle];
      if (entry && entry.id <= afterId) low = middle + 1;
      else high = middle;
    }
    return this.firstPosition + low;
  }

  /** The event at `position`, undefined when it is not here yet. */
  stepAt(position: number): IteratorYieldResult<ChainEvent> | undefined {
    return this.entries[position - this.firstPosition]?.step;
  }

  /** Whether the chain is over: no event comes after the history's last. */
  isOver(): boolean {
    return this.over;
  }

  private covers(afterId: bigint): boolean {
    return this.coveredAfter !== undefined && this.coveredAfter <= afterId;
  }

  private delivered(event: ChainEvent): void {
    if (this.coveredAfter === undefined) this.early.push(event);
    else this.append(event);
  }

  private append(event: ChainEvent): void {
    const id = BigInt(event.id);
    // Already here: read from the table, or stored before what the history starts after.
    if (id <= this.lastId) return;
    this.lastId = id;
    this.entries.push({ id, step: { done: false, value: event } });
    if (event.payload.type === 'chain_finished') this.over = true;
    for (const follower of this.followers) follower.appended();
    this.trim();
  }

  private readForWaiters(): void {
    if (this.reading || this.closed) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.covers(waiter.afterId)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = [];
    if (waiting.length === 0) return;
    let afterId = waiting[0]?.afterId ?? BEFORE_EVERY_EVENT;
    for (const waiter of waiting) if (waiter.afterId < afterId) afterId = waiter.afterId;
    this.reading = true;
    this.read(afterId)
      .then(
        () => {
          for (const waiter of waiting) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of waiting) waiter.reject(error);
        },
      )
      .finally(() => {
        this.reading = false;
        this.readForWaiters();
        this.closeIfIdle();
      });
  }

  /**
   * Reads the events after `afterId`: the first read starts the history (with the live events that came during
   * it); a later one (a subscriber resuming from before the history) puts the events up to its start before it.
   */
  private async read(afterId: bigint): Promise<void> {
    const upToId = this.coveredAfter;
    const read = await readChainEvents(this.dependencies.db, this.chainId, {
      afterId: afterId === BEFORE_EVERY_EVENT ? null : String(afterId),
      upToId: upToId === undefined ? undefined : String(upToId),
    });
    if (!read) throw new UnknownChainError(this.chainId);
    const entries = read.events.map((row): HistoryEntry => {
      const event = toChainEvent(row);
      return { id: BigInt(event.id), step: { done: false, value: event } };
    });
    const coveredAfter = read.lastAtOrBefore === null ? BEFORE_EVERY_EVENT : BigInt(read.lastAtOrBefore);
    if (upToId === undefined) {
      this.entries = entries;
      this.coveredAfter = coveredAfter;
      this.lastId = entries.at(-1)?.id ?? coveredAfter;
      this.over = read.status !== 'running' || entries.at(-1)?.step.value.payload.type === 'chain_finished';
      const early = this.early;
      this.early = [];
      for (const event of early) this.append(event);
    } else {
      this.entries = [...entries, ...this.entries];
      this.firstPosition -= entries.length;
      this.coveredAfter = coveredAfter;
    }
  }

  /**
   * Once the history holds twice `historyLimit`, drops events from its front that every subscriber has taken,
   * keeping `historyLimit`; not while one is being placed (the history must still hold what it was promised).
   */
  private trim(): void {
    if (this.entries.length <= 2 * this.historyLimit) return;
    let keepFrom = this.firstPosition + this.entries.length - this.historyLimit;
    for (const follower of this.followers) {
      const position = follower.position();
      if (position === undefined) return;
      keepFrom = Math.min(keepFrom, position);
    }
    const dropped = keepFrom - this.firstPosition;
    const lastDropped = this.entries[dropped - 1];
    if (!lastDropped) return;
    this.entries = this.entries.slice(dropped);
    this.firstPosition = keepFrom;
    this.coveredAfter = lastDropped.id;
  }

  private closeIfIdle(): void {
    if (this.closed || this.reading || this.followers.size > 0 || this.waiters.length > 0) return;
    this.closed = true;
    this.unsubscribe();
    this.onClosed();
  }
}
