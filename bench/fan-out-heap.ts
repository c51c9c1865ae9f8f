/**
 * Where a chains.events subscriber's server memory goes: one real server process on a scratch schema of PostgreSQL,
 * WARM_UP subscribers of one running chain, a heap snapshot, SUBSCRIBERS more, another snapshot. Prints the
 * snapshots' difference per kind of object (bytes per subscriber, objects per subscriber), and RSS and heap per
 * subscriber, so a change to the subscription path can be weighed object by object. With `connections`, the sockets
 * only connect (tRPC's connection state without a subscription).
 *   npx tsx bench/fan-out-heap.ts [subscribers] [connections]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { WebSocket } from 'ws';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { startSchemaInstance } from '../server/test/shared-schema-instance.js';
import { startHeldTriageProvider } from './held-triage-provider.js';
import { newObjectsBetween } from './heap-snapshot-summary.js';

const url =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUBSCRIBERS = Number(process.argv[2] ?? 2_000);
const WARM_UP = 200;
const CONNECT_AT_ONCE = 200;
const SHOWN = 40;
const CONNECTIONS_ONLY = process.argv[3] === 'connections';

const { fake, release } = await startHeldTriageProvider();
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const schema = `bench_fanout_heap_${process.pid}`;
await admin.query(`create schema ${schema}`);
const snapshotDir = mkdtempSync(join(tmpdir(), 'fan-out-heap-'));
const sockets: WebSocket[] = [];
const server = await startSchemaInstance({
  databaseUrl: url,
  schema,
  fake,
  instanceId: randomUUID(),
  env: {
    CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS: String(WARM_UP + SUBSCRIBERS + 100),
    // A snapshot stops the process for seconds: its chain must not be taken for dead meanwhile.
    CHAINLOG_INSTANCE_LEASE_MS: '600000',
    CHAINLOG_LLM_TIMEOUT_MS: '600000',
    NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`,
  },
});

function residentKb(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

/** Signals the server to write a heap snapshot and answers its file once written (the server answers again then). */
async function snapshot(): Promise<string> {
  const before = new Set(readdirSync(snapshotDir));
  server.child.kill('SIGUSR2');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const file = readdirSync(snapshotDir).find((name) => !before.has(name) && name.endsWith('.heapsnapshot'));
    if (!file) continue;
    // Written on the main thread: once /healthz answers, the file is whole. The server, stopped meanwhile, may close
    // the kept-alive connection fetch reuses just as it is reused (ECONNRESET): then ask again.
    const answered = await fetch(`${server.url}/healthz`).then(
      () => true,
      () => false,
    );
    if (!answered) continue;
    const size = statSync(join(snapshotDir, file)).size;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (statSync(join(snapshotDir, file)).size === size) return join(snapshotDir, file);
  }
}

function subscribe(chainId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/trpc`);
    sockets.push(socket);
    socket.on('error', reject);
    socket.on('open', () => {
      if (CONNECTIONS_ONLY) return resolve();
      socket.send(
        JSON.stringify({ id: 1, method: 'subscription', params: { path: 'chains.events', input: { chainId } } }),
      );
    });
    socket.on('message', (raw) => {
      // tRPC's keep-alive: a socket that does not answer is closed.
      if (String(raw) === 'PING') return socket.send('PONG');
      // The first replayed event: its backlog is read, the subscription is live ('started' comes before that).
      if ((JSON.parse(String(raw)) as { result?: { type?: string } }).result?.type === 'data') resolve();
    });
  });
}

async function subscribeMany(chainId: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += CONNECT_AT_ONCE)
    await Promise.all(Array.from({ length: Math.min(CONNECT_AT_ONCE, count - index) }, () => subscribe(chainId)));
}

try {
  const response = await fetch(`${server.url}/trpc/inbox.submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'ada@example.com', subject: 'Where is my order?', body: 'Order A-1042 is late.' }),
  });
  const { result } = (await response.json()) as { result: { data: { chainId: string } } };
  const chainId = result.data.chainId;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await subscribeMany(chainId, WARM_UP);
  const first = await snapshot();
  const rssBefore = residentKb();
  await subscribeMany(chainId, SUBSCRIBERS);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssAfter = residentKb();
  const second = await snapshot();
  const { rows } = await admin.query<{ status: string }>(`select status from ${schema}.chain`);
  if (rows[0]?.status !== 'running') throw new Error(`the chain is ${rows[0]?.status}, not running: measure again`);
  const added = newObjectsBetween(first, second);
  const heapBytes = added.reduce((sum, entry) => sum + entry.bytes, 0);
  const perSubscriber = (value: number, digits = 0) => (value / SUBSCRIBERS).toFixed(digits);
  console.log(
    `${SUBSCRIBERS} ${CONNECTIONS_ONLY ? 'sockets (no subscription)' : 'subscribers of one running chain'} on one instance: RSS ${perSubscriber(rssAfter - rssBefore, 1)} KB per subscriber, heap objects added ${perSubscriber(heapBytes / 1024, 2)} KB per subscriber`,
  );
  console.log('bytes/subscriber  objects/subscriber  kind  <- held by (bytes/subscriber)');
  for (const entry of added.slice(0, SHOWN)) {
    const heldBy = entry.heldBy
      .slice(0, 3)
      .map((holder) => `${holder.by} ${perSubscriber(holder.bytes)}`)
      .join(' | ');
    console.log(
      `${perSubscriber(entry.bytes).padStart(16)}  ${perSubscriber(entry.count, 2).padStart(18)}  ${entry.kind}  <- ${heldBy}`,
    );
  }
} catch (error) {
  console.error(server.output().slice(-3000));
  throw error;
} finally {
  release();
  for (const socket of sockets) socket.terminate();
  server.child.kill('SIGKILL');
  await server.exited;
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  await admin.end();
  await fake.close();
  if (!process.env.FAN_OUT_HEAP_KEEP) rmSync(snapshotDir, { recursive: true, force: true });
  else console.log(`snapshots kept in ${snapshotDir}`);
}
