/**
 * Fan-out: SUBSCRIBERS WebSocket subscribers of one chain's events, spread over 3 real server processes sharing a
 * scratch schema of a PostgreSQL server (the per-address bounds raised, as the bench's sockets all come from
 * 127.0.0.1). Each socket speaks tRPC's JSON messages and subscribes to chains.events; once all have started, the
 * chain runs, and each event's delay from its commit (its created_at) to each socket is recorded.
 * Prints p50/p99/max of event stored → received, and each server's resident memory per subscriber (RSS after the
 * subscriptions opened minus before, from /proc).
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/fan-out.ts [subscribers]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'ws';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import type { ServerProcess } from '../server/test/server-process.js';
import { startSchemaInstance } from '../server/test/shared-schema-instance.js';
import { startHeldTriageProvider } from './held-triage-provider.js';

const url =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUBSCRIBERS = Number(process.argv[2] ?? 10_000);
const INSTANCES = 3;
const CONNECT_AT_ONCE = 200;
/** Events the chain stores once it is released: three steps' step_finished, two step_started, chain_finished. */
const LIVE_EVENTS = 6;
/** Broadcasts of each floor server (bench/fan-out-floor-server.ts). */
const FLOOR_EVENTS = 6;

const { fake, release } = await startHeldTriageProvider();
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const schema = `bench_fanout_${process.pid}`;
await admin.query(`create schema ${schema}`);
const servers: ServerProcess[] = [];
const sockets: WebSocket[] = [];

function residentKb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

async function startInstance(): Promise<ServerProcess> {
  const server = await startSchemaInstance({
    databaseUrl: url,
    schema,
    fake,
    instanceId: randomUUID(),
    env: {
      CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS: String(SUBSCRIBERS + 100),
      // The chain's first call waits for every subscriber: on a busy machine that takes longer than the default 60 s.
      CHAINLOG_LLM_TIMEOUT_MS: '600000',
    },
  });
  servers.push(server);
  return server;
}

interface Subscriber {
  started: Promise<void>;
  finished: Promise<void>;
  /** Event id → when it arrived (Date.now()). */
  arrivals: Map<string, number>;
}

function subscribe(server: ServerProcess, chainId: string): Promise<Subscriber> {
  return new Promise((resolveOpen, rejectOpen) => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/trpc`);
    sockets.push(socket);
    const arrivals = new Map<string, number>();
    let started: () => void = () => undefined;
    let finished: () => void = () => undefined;
    const subscriber: Subscriber = {
      arrivals,
      started: new Promise((resolve) => {
        started = resolve;
      }),
      finished: new Promise((resolve) => {
        finished = resolve;
      }),
    };
    socket.on('error', rejectOpen);
    socket.on('open', () => {
      socket.send(
        JSON.stringify({ id: 1, method: 'subscription', params: { path: 'chains.events', input: { chainId } } }),
      );
      resolveOpen(subscriber);
    });
    socket.on('message', (raw) => {
      const now = Date.now();
      // tRPC's keep-alive: a socket silent for 30 s is sent PING, and dropped when it does not answer.
      if (String(raw) === 'PING') return socket.send('PONG');
      // A tracked() event arrives as { type: 'data', id, data: { id, data: event } }.
      const message = JSON.parse(String(raw)) as {
        result?: { type: string; id?: string; data?: { data?: { payload: { type: string } } } };
      };
      if (message.result?.type === 'started') started();
      if (message.result?.type === 'data' && message.result.id) {
        arrivals.set(message.result.id, now);
        if (message.result.data?.data?.payload.type === 'chain_finished') finished();
      }
      if (message.result?.type === 'stopped') finished();
    });
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/**
 * The same number of sockets on three bare `ws` servers (bench/fan-out-floor-server.ts), six broadcasts each: sent →
 * received, what one event costs to cross every socket of three Node processes into this one, on these cores.
 */
async function measureFloor(): Promise<{ delays: number[]; perSocketKb: number[] }> {
  const floors = await Promise.all(
    Array.from({ length: INSTANCES }, async () => {
      const script = fileURLToPath(new URL('./fan-out-floor-server.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          const match = /floor listening on (\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`the floor server exited (${code})`)));
      });
      return { child, url };
    }),
  );
  const floorSockets: WebSocket[] = [];
  const delays: number[] = [];
  const before = floors.map((floor) => residentKb(floor.child.pid));
  let allReceived: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  try {
    for (let index = 0; index < SUBSCRIBERS; index += CONNECT_AT_ONCE) {
      const batch = Array.from({ length: Math.min(CONNECT_AT_ONCE, SUBSCRIBERS - index) }, (_, offset) => {
        const floor = floors[(index + offset) % INSTANCES];
        if (!floor) throw new Error('no floor server');
        return new Promise<void>((resolve, reject) => {
          const socket = new WebSocket(floor.url.replace(/^http/, 'ws'));
          floorSockets.push(socket);
          socket.on('error', reject);
          socket.on('open', () => resolve());
          socket.on('message', (raw) => {
            delays.push(Date.now() - (JSON.parse(String(raw)) as { sentAt: number }).sentAt);
            if (delays.length === SUBSCRIBERS * FLOOR_EVENTS) allReceived();
          });
        });
      });
      await Promise.all(batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const perSocketKb = floors.map(
      (floor, index) => ((residentKb(floor.child.pid) - (before[index] ?? 0)) * INSTANCES) / SUBSCRIBERS,
    );
    await Promise.all(floors.map((floor) => fetch(`${floor.url}/broadcast`, { method: 'POST' })));
    await done;
    return { delays: delays.sort((left, right) => left - right), perSocketKb };
  } finally {
    for (const socket of floorSockets) socket.terminate();
    for (const floor of floors) floor.child.kill('SIGKILL');
  }
}

try {
  const first = await startInstance();
  await Promise.all(Array.from({ length: INSTANCES - 1 }, () => startInstance()));
  const response = await fetch(`${first.url}/trpc/inbox.submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      from: 'ada@example.com',
      subject: 'Where is my order?',
      body: 'Order A-1042 has not arrived.',
    }),
  });
  const { result } = (await response.json()) as { result: { data: { chainId: string } } };
  const chainId = result.data.chainId;
  // Let the first events (chain_started, step_started) land before anyone listens: what is measured is live delivery.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = servers.map((server) => residentKb(server.child.pid));

  const subscribers: Subscriber[] = [];
  const openedAt = Date.now();
  for (let index = 0; index < SUBSCRIBERS; index += CONNECT_AT_ONCE) {
    const batch = Array.from({ length: Math.min(CONNECT_AT_ONCE, SUBSCRIBERS - index) }, (_, offset) => {
      const server = servers[(index + offset) % INSTANCES];
      if (!server) throw new Error('no server');
      return subscribe(server, chainId);
    });
    subscribers.push(...(await Promise.all(batch)));
  }
  await Promise.all(subscribers.map((subscriber) => subscriber.started));
  console.log(
    `${SUBSCRIBERS} subscribers of one chain over ${INSTANCES} instances, started in ${Date.now() - openedAt} ms`,
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = servers.map((server) => residentKb(server.child.pid));
  const perSubscriberKb = after.map((kb, index) => ((kb - (before[index] ?? kb)) * INSTANCES) / SUBSCRIBERS);

  release();
  await Promise.all(subscribers.map((subscriber) => subscriber.finished));
  const { rows } = await admin.query<{ id: string; created_at: Date }>(
    `select id::text as id, created_at from ${schema}.chain_event where chain_id = $1 order by ${schema}.chain_event.id`,
    [chainId],
  );
  const stored = new Map(rows.map((row) => [row.id, row.created_at.getTime()]));
  const delays: number[] = [];
  for (const subscriber of subscribers) {
    for (const [eventId, arrivedAt] of subscriber.arrivals) {
      const storedAt = stored.get(eventId);
      // Only events stored after every subscription had started: the earlier ones were replayed, not delivered.
      if (storedAt !== undefined && storedAt > openedAt) delays.push(arrivedAt - storedAt);
    }
  }
  const live = rows.filter((row) => row.created_at.getTime() > openedAt).length;
  if (live !== LIVE_EVENTS)
    throw new Error(`${live} events were stored after the subscriptions opened, not ${LIVE_EVENTS}`);
  delays.sort((left, right) => left - right);
  // Per event, first socket to last: how long one event takes to cross every socket of every instance and reach this
  // process, on this machine's cores (the servers, PostgreSQL and this bench share them).
  const spreads = [...stored.keys()].flatMap((eventId) => {
    const arrivals = subscribers.flatMap((subscriber) => subscriber.arrivals.get(eventId) ?? []);
    return arrivals.length === SUBSCRIBERS && (stored.get(eventId) ?? 0) > openedAt
      ? [Math.max(...arrivals) - Math.min(...arrivals)]
      : [];
  });
  console.log(
    `event stored → received: ${delays.length} deliveries, p50 ${percentile(delays, 0.5)} ms, p99 ${percentile(delays, 0.99)} ms, max ${delays.at(-1)} ms`,
  );
  console.log(`one event, first socket → last socket: ${spreads.map((spread) => `${spread} ms`).join(', ')}`);
  for (const socket of sockets) socket.terminate();
  const { delays: floor, perSocketKb } = await measureFloor();
  console.log(
    `floor, bare ws servers (no tRPC, no database, one stringify per event), same ${SUBSCRIBERS} sockets over ${INSTANCES} processes: sent → received p50 ${percentile(floor, 0.5)} ms, p99 ${percentile(floor, 0.99)} ms, max ${floor.at(-1)} ms`,
  );
  console.log(
    `server memory per subscriber (RSS after − before): ${perSubscriberKb.map((kb) => `${kb.toFixed(1)} KB`).join(', ')}; floor, per bare ws socket: ${perSocketKb.map((kb) => `${kb.toFixed(1)} KB`).join(', ')}`,
  );
} finally {
  for (const socket of sockets) socket.terminate();
  for (const server of servers) server.child.kill('SIGKILL');
  await Promise.all(servers.map((server) => server.exited));
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  await admin.end();
  await fake.close();
}
