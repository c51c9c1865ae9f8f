import type { ChainEvent, ChainEventPayload } from '@chainlog/shared';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { within } from '../../test/llm-harness.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle, Db } from '../db/client.js';
import { finishChain, insertChain, insertChainEvent } from '../db/queries/chains.js';
import { newChainId } from '../llm/chain-context.js';
import { type ItemSink, PUSH } from '../pushed-stream.js';
import { ChainEventFanOut } from './chain-event-fan-out.js';
import { chainFinished, recordChainEvent, toChainEvent } from './chain-events.js';
import { ChainEventBus } from './event-bus.js';
import { UnknownChainError } from './unknown-chain-error.js';

const WAIT_MS = 5_000;

let database: DatabaseHandle;
/** The database as the fan-out sees it: every statement it sends is counted. */
let countedDb: Db;
let statements = 0;
const countStatements: KyselyPlugin = {
  transformQuery: ({ node }) => {
    statements++;
    return node;
  },
  transformResult: async ({ result }) => result,
};
let bus: ChainEventBus;

beforeAll(async () => {
  database = await openTestDatabase();
  countedDb = database.db.withPlugin(countStatements);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(() => {
  // This process stores and publishes: the bus delivers each recorded event at once, on either database.
  bus = new ChainEventBus('this-process');
  statements = 0;
});

async function runningChain(): Promise<string> {
  const chainId = newChainId();
  await insertChain(database.db, { id: chainId, name: 'fan-out test', status: 'running', input: '{}' });
  return chainId;
}

function stepStarted(step: number): ChainEventPayload {
  return { type: 'step_started', step, name: `step ${step}` };
}

/** Stores a step event and publishes it (to whoever follows the chain now). */
async function record(chainId: string, step: number): Promise<ChainEvent> {
  return recordChainEvent(database.db, bus, chainId, stepStarted(step));
}

/** The next `count` events, each within a bound. */
async function take(subscription: AsyncIterator<ChainEvent>, count: number): Promise<ChainEvent[]> {
  const events: ChainEvent[] = [];
  for (let taken = 0; taken < count; taken++) {
    const step = await within(subscription.next(), WAIT_MS, `event ${taken + 1} of ${count}`);
    if (step.done) throw new Error(`the subscription ended after ${taken} of ${count} events`);
    events.push(step.value);
  }
  return events;
}

/** Every event until the subscription ends, within a bound. */
async function rest(subscription: AsyncIterator<ChainEvent>): Promise<ChainEvent[]> {
  const events: ChainEvent[] = [];
  for (;;) {
    const step = await within(subscription.next(), WAIT_MS, 'the subscription to end');
    if (step.done) return events;
    events.push(step.value);
  }
}

const idsOf = (events: readonly ChainEvent[]) => events.map((event) => event.id);

describe('chain event fan-out', () => {
  it('gives two subscribers of one chain every event once, in order, from one read of the table and the same event objects', async () => {
    const chainId = await runningChain();
    const stored = [await record(chainId, 1), await record(chainId, 2)];
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const first = fanOut.follow(chainId, null);
    const second = fanOut.follow(chainId, null);

    const [firstStored, secondStored] = await Promise.all([take(first, 2), take(second, 2)]);
    expect(idsOf(firstStored)).toEqual(idsOf(stored));
    expect(idsOf(secondStored)).toEqual(idsOf(stored));
    expect(statements).toBe(1);
    expect(secondStored[0]).toBe(firstStored[0]);

    const live = [await record(chainId, 3), await record(chainId, 4)];
    const finished = await recordChainEvent(database.db, bus, chainId, chainFinished('succeeded', null));
    const [firstLive, secondLive] = await Promise.all([rest(first), rest(second)]);
    expect(idsOf(firstLive)).toEqual([...idsOf(live), finished.id]);
    expect(idsOf(secondLive)).toEqual(idsOf(firstLive));
    expect(secondLive[2]).toBe(firstLive[2]);
    expect(statements).toBe(1);
    // Both ended: the chain is no longer followed here.
    expect(fanOut.followedCount()).toBe(0);
    expect(bus.wants(chainId)).toBe(false);
  });

  it('gives a subscriber who joins a followed chain with lastEventId only the events after it, without reading the table', async () => {
    const chainId = await runningChain();
    const stored = [await record(chainId, 1), await record(chainId, 2), await record(chainId, 3)];
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const first = fanOut.follow(chainId, null);
    await take(first, 3);
    const readsBefore = statements;

    const late = fanOut.follow(chainId, stored[1]?.id ?? null);
    expect(idsOf(await take(late, 1))).toEqual([stored[2]?.id]);
    const upToDate = fanOut.follow(chainId, stored[2]?.id ?? null);
    const upToDateNext = upToDate.next();
    const live = await record(chainId, 4);
    const [firstLive] = await take(first, 1);
    expect(firstLive?.id).toBe(live.id);
    expect(idsOf(await take(late, 1))).toEqual([live.id]);
    expect((await within(upToDateNext, WAIT_MS, 'the live event')).value).toBe(firstLive);
    expect(statements).toBe(readsBefore);
    for (const subscription of [first, late, upToDate]) await subscription.return?.();
    expect(fanOut.followedCount()).toBe(0);
  });

  it('reads in the events a subscriber resumes from when the history no longer holds them: each once, in order', async () => {
    const chainId = await runningChain();
    const fanOut = new ChainEventFanOut({ db: countedDb, bus, historyLimit: 2 });
    const first = fanOut.follow(chainId, null);
    const firstNext = first.next();
    const live: ChainEvent[] = [];
    for (let step = 1; step <= 8; step++) live.push(await record(chainId, step));
    const firstEvents = [(await within(firstNext, WAIT_MS, 'the first event')).value, ...(await take(first, 7))];
    expect(idsOf(firstEvents)).toEqual(idsOf(live));
    const readsBefore = statements;

    const fromStart = fanOut.follow(chainId, null);
    expect(idsOf(await take(fromStart, 8))).toEqual(idsOf(live));
    const fromThird = fanOut.follow(chainId, live[2]?.id ?? null);
    expect(idsOf(await take(fromThird, 5))).toEqual(idsOf(live.slice(3)));
    expect(statements).toBeGreaterThan(readsBefore);

    const next = await record(chainId, 9);
    for (const subscription of [first, fromStart, fromThird])
      expect(idsOf(await take(subscription, 1))).toEqual([next.id]);
    for (const subscription of [first, fromStart, fromThird]) await subscription.return?.();
  });

  it('gives an event both read from the table and delivered live, or stored while the first read runs, once', async () => {
    const chainId = await runningChain();
    const first = toChainEvent(await insertChainEvent(database.db, chainId, stepStarted(1)));
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const subscription = fanOut.follow(chainId, null);
    const firstNext = subscription.next();
    // The read is under way; an event the table already holds is delivered live (its announcement came late).
    bus.deliver(first);
    const second = await record(chainId, 2);

    const events = [(await within(firstNext, WAIT_MS, 'the first event')).value, ...(await take(subscription, 1))];
    expect(idsOf(events)).toEqual([first.id, second.id]);
    const third = await record(chainId, 3);
    expect(idsOf(await take(subscription, 1))).toEqual([third.id]);
    await subscription.return?.();
  });

  it('replays a finished chain and ends; rejects an unknown chain with UnknownChainError; follows neither afterwards', async () => {
    const chainId = await runningChain();
    const stored = [await record(chainId, 1)];
    const finished = await finishChain(database.db, chainId, chainFinished('succeeded', null));
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });

    expect(idsOf(await rest(fanOut.follow(chainId, null)))).toEqual([...idsOf(stored), String(finished?.id)]);
    expect(await rest(fanOut.follow(chainId, String(finished?.id)))).toEqual([]);
    await expect(fanOut.follow(newChainId(), null).next()).rejects.toBeInstanceOf(UnknownChainError);
    expect(fanOut.followedCount()).toBe(0);
  });

  it('ends a waiting subscriber whose signal aborts, and stops following the chain when its last subscriber leaves', async () => {
    const chainId = await runningChain();
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const stopped = new AbortController();
    const aborted = fanOut.follow(chainId, null, stopped.signal);
    const other = fanOut.follow(chainId, null);
    const abortedNext = aborted.next();
    const otherNext = other.next();
    await record(chainId, 1);
    await within(otherNext, WAIT_MS, 'the first event');
    await within(abortedNext, WAIT_MS, 'the first event');
    const waiting = aborted.next();
    stopped.abort();
    expect(await within(waiting, WAIT_MS, 'the aborted subscription to end')).toEqual({ done: true, value: undefined });
    expect(bus.wants(chainId)).toBe(true);
    await other.return?.();
    expect(fanOut.followedCount()).toBe(0);
    expect(bus.wants(chainId)).toBe(false);
  });
});

/** What a pushed subscription handed its sink, with bounded waits. */
class RecordingSink implements ItemSink<ChainEvent> {
  readonly events: ChainEvent[] = [];
  ends = 0;
  readonly failures: unknown[] = [];
  private readonly waiters: { done: () => boolean; resolve: () => void }[] = [];

  item(event: ChainEvent): void {
    this.events.push(event);
    this.wake();
  }

  end(): void {
    this.ends++;
    this.wake();
  }

  fail(error: unknown): void {
    this.failures.push(error);
    this.wake();
  }

  has(count: number): Promise<void> {
    return this.until(() => this.events.length >= count, `${count} events (has ${this.events.length})`);
  }

  hasEnded(): Promise<void> {
    return this.until(() => this.ends + this.failures.length > 0, 'the push to end');
  }

  private until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return within(new Promise<void>((resolve) => this.waiters.push({ done, resolve })), WAIT_MS, what);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.done()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

describe('chain event fan-out, pushed', () => {
  it('pushes the stored events, then live ones, once each and in order, the same objects an iterating subscriber gets, then ends once after chain_finished', async () => {
    const chainId = await runningChain();
    const stored = [await record(chainId, 1), await record(chainId, 2)];
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const sink = new RecordingSink();
    fanOut.follow(chainId, null)[PUSH](sink);
    const iterated = fanOut.follow(chainId, null);

    await sink.has(2);
    expect(idsOf(await take(iterated, 2))).toEqual(idsOf(stored));
    const live = [await record(chainId, 3), await record(chainId, 4)];
    const finished = await recordChainEvent(database.db, bus, chainId, chainFinished('succeeded', null));
    await sink.hasEnded();

    expect(idsOf(sink.events)).toEqual([...idsOf(stored), ...idsOf(live), finished.id]);
    const iteratedLive = await rest(iterated);
    expect(sink.events.slice(2)).toEqual(iteratedLive);
    expect(sink.events[2]).toBe(iteratedLive[0]);
    expect(sink.ends).toBe(1);
    expect(sink.failures).toEqual([]);
    expect(statements).toBe(1);
    expect(fanOut.followedCount()).toBe(0);
  });

  it('pushes from after lastEventId, and ends at once a push resumed from the chain_finished of a finished chain', async () => {
    const chainId = await runningChain();
    const stored = [await record(chainId, 1), await record(chainId, 2), await record(chainId, 3)];
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const resumed = new RecordingSink();
    fanOut.follow(chainId, stored[0]?.id ?? null)[PUSH](resumed);
    await resumed.has(2);
    const finished = await recordChainEvent(database.db, bus, chainId, chainFinished('succeeded', null));
    await resumed.hasEnded();
    expect(idsOf(resumed.events)).toEqual([...idsOf(stored.slice(1)), finished.id]);

    const finishedChainId = await runningChain();
    await record(finishedChainId, 1);
    const finishedRow = await finishChain(database.db, finishedChainId, chainFinished('succeeded', null));
    const atTheEnd = new RecordingSink();
    fanOut.follow(finishedChainId, String(finishedRow?.id))[PUSH](atTheEnd);
    await atTheEnd.hasEnded();
    expect(atTheEnd.events).toEqual([]);
    expect(atTheEnd.ends).toBe(1);
    expect(fanOut.followedCount()).toBe(0);
  });

  it('stops a push at once, before or after its first read: its sink ends once, gets nothing more, and the chain is left', async () => {
    const chainId = await runningChain();
    await record(chainId, 1);
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const placed = new RecordingSink();
    const placedPush = fanOut.follow(chainId, null)[PUSH](placed);
    await placed.has(1);
    const reading = new RecordingSink();
    fanOut.follow(chainId, null)[PUSH](reading).stop();
    expect(reading.ends).toBe(1);

    placedPush.stop();
    placedPush.stop();
    expect(placed.ends).toBe(1);
    expect(fanOut.followedCount()).toBe(0);
    expect(bus.wants(chainId)).toBe(false);
    await record(chainId, 2);
    expect(placed.events).toHaveLength(1);
    expect(reading.events).toEqual([]);
    expect(reading.ends).toBe(1);
  });

  it('fails a push of an unknown chain with UnknownChainError (no end) and follows nothing afterwards; a subscription is pushed or iterated, not both', async () => {
    const fanOut = new ChainEventFanOut({ db: countedDb, bus });
    const sink = new RecordingSink();
    fanOut.follow(newChainId(), null)[PUSH](sink);
    await sink.hasEnded();
    expect(sink.failures).toEqual([expect.any(UnknownChainError)]);
    expect(sink.ends).toBe(0);
    expect(fanOut.followedCount()).toBe(0);

    const chainId = await runningChain();
    const pushed = fanOut.follow(chainId, null);
    const pushing = pushed[PUSH](new RecordingSink());
    expect(() => pushed.next()).toThrow(/pushed/);
    const iterated = fanOut.follow(chainId, null);
    const iteratedNext = iterated.next();
    expect(() => iterated[PUSH](new RecordingSink())).toThrow(/once/);
    pushing.stop();
    await iterated.return?.();
    await iteratedNext;
    expect(fanOut.followedCount()).toBe(0);
  });
});
