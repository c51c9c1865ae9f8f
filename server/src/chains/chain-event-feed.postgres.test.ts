import type { ChainEvent, ChainEventPayload } from '@chainlog/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { insertChain, insertChainEvent, listChainEventsAfter } from '../db/queries/chains.js';
import { newChainId } from '../llm/chain-context.js';
import { ChainEventFeed } from './chain-event-feed.js';
import { recordChainEvent } from './chain-events.js';
import { ChainEventBus } from './event-bus.js';

// The feed of one process on PostgreSQL, whose listener hears a channel of this test's own instead of the one the
// chain_event trigger announces on: what reaches the bus without an announcement came from the process itself
// (or from a read of the table), and the test announces what it wants the feed to hear.

const WAIT_MS = 5_000;
const CHANNEL = `chainlog_feed_test_${process.pid}`;
const STEP: ChainEventPayload = { type: 'step_started', step: 1, name: 'intent recognition' };

let database: DatabaseHandle & { schema?: string };
let bus: ChainEventBus;
let feed: ChainEventFeed;

beforeAll(async () => {
  database = await openTestDatabase();
  const { listen, schema } = database;
  if (!listen || schema === undefined) throw new Error('a PostgreSQL database listens');
  bus = new ChainEventBus('database');
  feed = new ChainEventFeed({
    db: database.db,
    bus,
    status: database.status,
    schema,
    listen: (_channel, handlers) => listen(CHANNEL, handlers),
  });
  await vi.waitFor(() => expect(feed.listenerBackendPid()).toBeDefined(), { timeout: WAIT_MS });
});

afterAll(async () => {
  await database?.close();
});

async function newChain(): Promise<string> {
  const chainId = newChainId();
  await insertChain(database.db, { id: chainId, name: 'support-inbox triage', status: 'running', input: '{}' });
  return chainId;
}

/** Everything the bus hands this process's subscribers of one chain, in order. */
function follow(chainId: string): { ids: string[]; stop(): void; receive(count: number): Promise<void> } {
  const ids: string[] = [];
  const stop = bus.subscribe((event: ChainEvent) => ids.push(event.id), chainId);
  return {
    ids,
    stop,
    receive: async (count) => {
      await expect.poll(() => ids.length, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(count);
    },
  };
}

/** What another instance does: store an event without telling this process. */
async function storeElsewhere(chainId: string, payload: ChainEventPayload = STEP): Promise<string> {
  return String((await insertChainEvent(database.db, chainId, payload)).id);
}

/** Announces a stored event on the test's channel, as the trigger would on the real one. */
async function announce(chainId: string, id: string): Promise<void> {
  const payload = JSON.stringify({ schema: database.schema, chainId, id });
  await sql`select pg_notify(${CHANNEL}, ${payload})`.execute(database.db);
}

async function storedIds(chainId: string): Promise<string[]> {
  return (await listChainEventsAfter(database.db, chainId, null)).map((row) => String(row.id));
}

describe('the chain event feed of a process on PostgreSQL', () => {
  it('delivers the events this process stores as soon as they are stored, without their announcement', async () => {
    const chainId = await newChain();
    const followed = follow(chainId);
    for (const payload of [{ type: 'chain_started' }, STEP] as const) {
      const event = await recordChainEvent(database.db, bus, chainId, payload);
      // Already there when the store returns: nothing was announced on the channel the feed hears.
      expect(followed.ids.at(-1)).toBe(event.id);
    }
    expect(followed.ids).toEqual(await storedIds(chainId));
    followed.stop();
  });

  it('reads from the table an event another instance stored between two of its own, and delivers all three in order', async () => {
    const chainId = await newChain();
    const followed = follow(chainId);
    await recordChainEvent(database.db, bus, chainId, { type: 'chain_started' });
    await storeElsewhere(chainId);
    await recordChainEvent(database.db, bus, chainId, {
      type: 'step_finished',
      step: 1,
      name: 'intent recognition',
      output: {},
      logId: newChainId(),
      provider: 'offline',
      model: 'default',
      latencyMs: 1,
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
    });
    await followed.receive(3);
    expect(followed.ids).toEqual(await storedIds(chainId));
    followed.stop();
  });

  it('drops the announcement of an event it delivered itself, and still delivers what is announced after it', async () => {
    const chainId = await newChain();
    const followed = follow(chainId);
    const own = await recordChainEvent(database.db, bus, chainId, { type: 'chain_started' });
    await announce(chainId, own.id);
    const foreign = await storeElsewhere(chainId);
    await announce(chainId, foreign);
    await followed.receive(2);
    expect(followed.ids).toEqual([own.id, foreign]);
    followed.stop();
  });

  it("delivers at once a chain's event when the ones before it were stored here before anyone here followed it", async () => {
    const chainId = await newChain();
    await recordChainEvent(database.db, bus, chainId, { type: 'chain_started' });
    await recordChainEvent(database.db, bus, chainId, STEP);
    // A subscriber replays those from the table; the bus owes it what comes next.
    const followed = follow(chainId);
    const next = await recordChainEvent(database.db, bus, chainId, { ...STEP, step: 2 });
    expect(followed.ids).toEqual([next.id]);
    followed.stop();
  });

  it('waits for the announcement of a chain it follows but took over from another instance, then reads it from there', async () => {
    const chainId = await newChain();
    await storeElsewhere(chainId, { type: 'chain_started' });
    const followed = follow(chainId);
    // Its previous event was not stored here and nothing of the chain was delivered here: where to read from is
    // what the announcement says, not known yet.
    const own = await recordChainEvent(database.db, bus, chainId, STEP);
    expect(followed.ids).toEqual([]);
    await announce(chainId, own.id);
    await followed.receive(1);
    expect(followed.ids).toEqual([own.id]);
    followed.stop();
  });
});
