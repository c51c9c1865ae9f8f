/**
 * What the log writer hands the database under load: ask() 32 at a time against the fake provider answering after
 * 20 ms (the #13 goal's scenario), with every log statement recorded: its kind (pending rows only, or finished rows
 * with any pending rows riding along), its rows, and how long it took from hand-over to done (queueing behind the
 * statement in flight included). Prints statements and rows per call, the batch sizes, calls/s and this process's
 * CPU per call (every thread: PGlite's worker included), and the monotonic-clock window of the measured calls, so a
 * `node --cpu-prof` profile can be cut to it (bench/cpu-profile-summary.ts).
 *   npx tsx bench/log-batches.ts                 PGlite in its worker; BENCH_DATABASES=pglite-in-process|postgres
 *   BENCH_CALLS=4500                             calls measured after 600 of warm-up (default 4500)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../server/src/db/client.js';
import { createInferenceLogWriter } from '../server/src/db/inference-log-writer.js';
import type { LogStatement } from '../server/src/db/inference-log-statements.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { createLlm } from '../server/src/llm/ask.js';
import { setLogLevel } from '../server/src/log.js';
import { USER_TEXT, benchLlmSettings, benchTask } from './bench-task.js';
import { runLoad } from './load.js';
import { median } from './timing.js';

const KIND = process.env.BENCH_DATABASES ?? 'pglite';
const CALLS = Number(process.env.BENCH_CALLS ?? 4_500);
const CONCURRENCY = 32;
const DELAY_MS = 20;

interface Recorded {
  kind: 'pending' | 'finished' | 'mixed';
  rows: number;
  pendingRows: number;
  ms: number;
}

/** The rows of a writer's statement and how many of them are pending, read from its text and values. */
function describe(statement: LogStatement): Omit<Recorded, 'ms'> {
  const columnList = /^insert into inference_log \(([^)]*)\)/.exec(statement.text)?.[1];
  if (!columnList) throw new Error(`not a log statement: ${statement.text.slice(0, 60)}`);
  const columns = columnList.split(', ');
  const statusAt = columns.indexOf('status');
  const rows = statement.values.length / columns.length;
  let pendingRows = 0;
  for (let row = 0; row < rows; row++)
    if (statement.values[row * columns.length + statusAt] === 'pending') pendingRows++;
  const kind = pendingRows === rows ? 'pending' : pendingRows === 0 ? 'finished' : 'mixed';
  return { kind, rows, pendingRows };
}

async function open(): Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }> {
  if (KIND === 'postgres') {
    const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('BENCH_DATABASES=postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
    const schema = `bench_batches_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const handle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 40 });
    return {
      handle,
      async cleanup() {
        await handle.close();
        await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
        await admin.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-batches-'));
  const thread = KIND === 'pglite-in-process' ? 'main' : 'worker';
  const handle = await openDatabase({ kind: 'pglite', dataDir: dir, thread });
  return {
    handle,
    async cleanup() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startFake(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = fork(new URL('./fake-provider-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  const [ready] = (await once(child, 'message')) as [{ openaiBaseUrl: string }];
  const acknowledged = once(child, 'message');
  child.send({ delayMs: DELAY_MS });
  await acknowledged;
  return { child, baseUrl: ready.openaiBaseUrl };
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const fake = await startFake();
  const { handle, cleanup } = await open();
  let recording = false;
  const recorded: Recorded[] = [];
  const writer = createInferenceLogWriter(
    async (statement) => {
      const started = performance.now();
      await handle.executeLogStatement(statement);
      if (recording) recorded.push({ ...describe(statement), ms: performance.now() - started });
    },
    { concurrency: handle.logConcurrency },
  );
  const llm = createLlm({
    db: handle.db,
    settings: benchLlmSettings(fake.baseUrl),
    tasks: [benchTask],
    logWriter: writer,
  });
  const call = () => llm.ask(benchTask, { text: USER_TEXT });
  await runLoad(600, CONCURRENCY, call);
  const loadBefore = os.loadavg();
  recording = true;
  const windowStart = process.hrtime.bigint() / 1000n;
  const sample = await runLoad(CALLS, CONCURRENCY, call);
  const windowEnd = process.hrtime.bigint() / 1000n;
  recording = false;
  const loadAfter = os.loadavg();
  await cleanup();
  fake.child.disconnect();

  const rows = recorded.reduce((sum, statement) => sum + statement.rows, 0);
  console.log(
    `${KIND}: ${CALLS} calls, ${CONCURRENCY} at a time, fake ${DELAY_MS} ms; load average ${loadBefore[0]?.toFixed(2)} → ${loadAfter[0]?.toFixed(2)}`,
  );
  console.log(
    `  ${((CALLS / sample.wallMs) * 1000).toFixed(0)} calls/s, CPU ${(sample.cpuMs / CALLS).toFixed(3)} ms a call (all threads), ` +
      `${(recorded.length / CALLS).toFixed(3)} statements and ${(rows / CALLS).toFixed(3)} rows a call, ${(rows / recorded.length).toFixed(2)} rows a statement`,
  );
  for (const kind of ['pending', 'finished', 'mixed'] as const) {
    const ofKind = recorded.filter((statement) => statement.kind === kind);
    if (ofKind.length === 0) continue;
    const sizes = new Map<number, number>();
    for (const statement of ofKind) sizes.set(statement.rows, (sizes.get(statement.rows) ?? 0) + 1);
    const histogram = [...sizes]
      .sort(([left], [right]) => left - right)
      .map(([size, count]) => `${size}:${count}`)
      .join(' ');
    const pendingRows = ofKind.reduce((sum, statement) => sum + statement.pendingRows, 0);
    const ofKindRows = ofKind.reduce((sum, statement) => sum + statement.rows, 0);
    console.log(
      `  ${kind.padEnd(8)} ${String(ofKind.length).padStart(5)} statements, ${(ofKindRows / ofKind.length).toFixed(2)} rows each ` +
        `(${pendingRows} pending rows in all); hand-over → done p50 ${median(ofKind.map((s) => s.ms)).toFixed(2)} ms, ` +
        `p90 ${percentile(
          ofKind.map((s) => s.ms),
          0.9,
        ).toFixed(2)} ms`,
    );
    console.log(`           rows:statements ${histogram}`);
  }
  console.log(`  profile window (µs, monotonic): ${windowStart} ${windowEnd}`);
}

await main();
