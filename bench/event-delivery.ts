/**
 * Chain event stored → received, on the instance that stored it and on another one. Two instances of the event
 * path (each its own pool, bus and LISTENing feed, as two server processes have) share a scratch PostgreSQL schema
 * in this one process; CHAINS chains run at once on the first, each storing EVENTS events a few ms apart, and one
 * subscriber per chain on each instance notes when each event arrives. The time counts from the event's created_at
 * (its insert's start, by the database's clock: the same machine's) to its delivery. Prints p50/p99 per instance.
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/event-delivery.ts [chains] [events]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ChainEventFeed } from '../server/src/chains/chain-event-feed.js';
import { recordChainEvent } from '../server/src/chains/chain-events.js';
import { ChainEventBus } from '../server/src/chains/event-bus.js';
import { type DatabaseHandle, openDatabase } from '../server/src/db/client.js';
import { insertChain } from '../server/src/db/queries/chains.js';
import { setLogLevel } from '../server/src/log.js';

const url: string = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? '';
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
const CHAINS = Number(process.argv[2] ?? 40);
const EVENTS = Number(process.argv[3] ?? 8);
const STEP_MS = 5;
const schema = `bench_events_${process.pid}`;

setLogLevel('warn');
const admin = await openDatabase({ kind: 'postgres', url, poolSize: 1 }, { migrate: false });
await admin.db.schema.createSchema(schema).execute();
const origin = await openInstance();
const other = await openInstance();
try {
  // The listeners connect in the background: wait until both hear an announcement before measuring.
  await warmUp();
  const received = { origin: [] as number[], other: [] as number[] };
  const expected = CHAINS * EVENTS;
  let done: () => void = () => undefined;
  const allReceived = new Promise<void>((resolve) => {
    done = resolve;
  });
  const chainIds = Array.from({ length: CHAINS }, () => randomUUID());
  for (const [where, instance] of [
    ['origin', origin],
    ['other', other],
  ] as const) {
    for (const chainId of chainIds) {
      instance.bus.subscribe((event) => {
        received[where].push(Date.now() - Date.parse(event.createdAt));
        if (received.origin.length + received.other.length === 2 * expected) done();
      }, chainId);
    }
  }
  const started = performance.now();
  await Promise.all(
    chainIds.map(async (chainId) => {
      await insertChain(origin.handle.db, { id: chainId, name: 'bench', status: 'running', input: '{}' });
      for (let step = 1; step <= EVENTS; step++) {
        await recordChainEvent(
          origin.handle.db,
          origin.bus,
          chainId,
          step === EVENTS
            ? { type: 'chain_finished', status: 'succeeded', error: null }
            : { type: 'step_started', step, name: 'bench' },
        );
        await new Promise((resolve) => setTimeout(resolve, STEP_MS));
      }
    }),
  );
  await Promise.race([allReceived, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${CHAINS} chains × ${EVENTS} events stored on one instance in ${seconds.toFixed(1)} s (node ${process.version})`,
  );
  for (const where of ['origin', 'other'] as const) {
    const sorted = received[where].sort((left, right) => left - right);
    const at = (fraction: number) =>
      (sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN).toFixed(1);
    console.log(
      `stored → received on ${where === 'origin' ? 'the instance that stored it' : 'another instance'}: ${sorted.length}/${expected} events, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
    );
  }
} finally {
  await origin.handle.close();
  await other.handle.close();
  await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
  await admin.close();
}

async function openInstance(): Promise<{ handle: DatabaseHandle; bus: ChainEventBus }> {
  const handle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 10 });
  const bus = new ChainEventBus('database');
  if (!handle.listen || handle.schema === undefined) throw new Error('PostgreSQL has a listener');
  new ChainEventFeed({ db: handle.db, bus, status: handle.status, schema: handle.schema, listen: handle.listen });
  return { handle, bus };
}

/** Stores one chain's event until both instances deliver it: their listeners are then connected. */
async function warmUp(): Promise<void> {
  for (;;) {
    const chainId = randomUUID();
    const seen = new Set<string>();
    const heard = new Promise<void>((resolve) => {
      for (const [name, instance] of [
        ['origin', origin],
        ['other', other],
      ] as const) {
        instance.bus.subscribe(() => {
          seen.add(name);
          if (seen.size === 2) resolve();
        }, chainId);
      }
    });
    await insertChain(origin.handle.db, { id: chainId, name: 'warm-up', status: 'running', input: '{}' });
    await recordChainEvent(origin.handle.db, origin.bus, chainId, { type: 'chain_started' });
    if (
      await Promise.race([
        heard.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
      ])
    )
      return;
  }
}
