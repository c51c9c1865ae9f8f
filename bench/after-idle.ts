/**
 * What the same work costs right after other work and after the process slept as long as the fake provider's answer
 * takes (20 ms): the floor under `ask()`'s added time one call at a time. Per statement on PGlite (`select 1` and the
 * writer's one-row upsert, prepared, in this thread and in the worker thread), a bare round trip to a worker thread
 * that does no database work, and a database-free control: a pointer chase around one loop of 4,096 cache lines
 * scattered through 32 MB (the same 256 KB every call: memory a statement's code and data could also hold).
 * Interleaved round by round.
 *   npm run bench:after-idle     (BENCH_ROUNDS, default 5; BENCH_IDLE_MS, default 20)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { createLogStatements } from '../server/src/db/inference-log-statements.js';
import type { PGliteQueryable } from '../server/src/db/pglite-dialect.js';
import { PreparedPGlite } from '../server/src/db/pglite-prepared.js';
import { PGliteWorkerClient } from '../server/src/db/pglite-worker/client.js';
import { setLogLevel } from '../server/src/log.js';
import { finishedBenchRow } from './log-write-rows.js';
import { migratedPgliteDump } from './migrated-pglite.js';
import { median, timed } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20);
const CALLS_PER_ROUND = 100;
const CHASE_BYTES = 32 * 1024 * 1024;
const CACHE_LINE_INTS = 64 / Int32Array.BYTES_PER_ELEMENT;
const CHASE_LINES = 4_096;

/** A worker thread that answers each message at once: the thread hop alone. */
function startEchoWorker(): { roundTrip(): Promise<void>; close(): Promise<number> } {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (message) => parentPort.postMessage(message));`,
    { eval: true },
  );
  return {
    roundTrip: () =>
      new Promise((resolve) => {
        worker.once('message', () => resolve());
        worker.postMessage(0);
      }),
    close: () => worker.terminate(),
  };
}

/**
 * One loop through CHASE_LINES distinct cache lines at random places in CHASE_BYTES (Sattolo's shuffle makes a single
 * cycle), walked once around per call: each step depends on the one before, so no prefetch hides a miss.
 */
function pointerChase(): () => Promise<void> {
  const links = new Int32Array(CHASE_BYTES / Int32Array.BYTES_PER_ELEMENT);
  const lineCount = links.length / CACHE_LINE_INTS;
  const lines = new Set<number>();
  while (lines.size < CHASE_LINES) lines.add(Math.floor(Math.random() * lineCount));
  const order = [...lines];
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * index);
    [order[index], order[other]] = [order[other] ?? 0, order[index] ?? 0];
  }
  order.forEach((line, index) => {
    links[line * CACHE_LINE_INTS] = (order[(index + 1) % order.length] ?? 0) * CACHE_LINE_INTS;
  });
  let at = (order[0] ?? 0) * CACHE_LINE_INTS;
  return async () => {
    for (let step = 0; step < CHASE_LINES; step++) at = links[at] ?? 0;
  };
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const dump = await migratedPgliteDump();
  const inThread = new PreparedPGlite(new PGlite('memory://', { loadDataDir: dump }));
  const inWorker = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir: dump });
  await Promise.all([inThread.waitReady, inWorker.waitReady]);
  const echo = startEchoWorker();
  const statementFor = createLogStatements();
  const upsert = (queryable: PGliteQueryable) => async () => {
    const statement = statementFor([finishedBenchRow()]);
    await queryable.query(statement.text, statement.values);
  };
  const workloads: Record<string, () => Promise<void>> = {
    'pointer chase, 4,096 lines in 32 MB (no database)': pointerChase(),
    'worker round trip (no database)': echo.roundTrip,
    'select 1, this thread': async () => void (await inThread.query('select 1', [])),
    'select 1, worker': async () => void (await inWorker.query('select 1', [])),
    'log upsert (1 row), this thread': upsert(inThread),
    'log upsert (1 row), worker': upsert(inWorker),
  };
  const timings = new Map<string, { busy: number[]; idle: number[] }>();
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, work] of Object.entries(workloads)) {
      for (const state of ['busy', 'idle'] as const) {
        const perCall: number[] = [];
        for (let call = 0; call < CALLS_PER_ROUND; call++) {
          await (state === 'idle' ? sleep(IDLE_MS) : new Promise(setImmediate));
          perCall.push(await timed(work));
        }
        // Round 0 warms up (JIT, the first prepare).
        if (round === 0) continue;
        const entry = timings.get(name) ?? { busy: [], idle: [] };
        entry[state].push(median(perCall));
        timings.set(name, entry);
      }
    }
  }
  console.log(`${ROUNDS} rounds of ${CALLS_PER_ROUND} calls each; p50 of the rounds' medians, ms`);
  console.log(`| work | back to back | after ${IDLE_MS} ms asleep | ratio |\n|---|---|---|---|`);
  for (const [name, { busy, idle }] of timings) {
    const [warm, cold] = [median(busy), median(idle)];
    console.log(`| ${name} | ${warm.toFixed(3)} | ${cold.toFixed(3)} | ${(cold / warm).toFixed(1)}× |`);
  }
  await Promise.all([inThread.close(), inWorker.close(), echo.close()]);
}

await main();
