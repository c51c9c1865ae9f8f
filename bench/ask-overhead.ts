/**
 * How much does ask() (validation, durable logging) cost over the raw SDK call, and over its peers? Every way runs in
 * this process against the same fake provider (a process of its own), interleaved round by round so drift hits all
 * alike: the raw `openai` call, `openai`'s `.parse` + `zodResponseFormat`, the AI SDK's `generateObject`, and ask()
 * on each database: PostgreSQL, PGlite in its worker thread, and PGlite in this process's main thread as it ran
 * before it had one (CHAINLOG_PGLITE_THREAD=main). Three more variants of ask() run in the same rounds to show where
 * the added time goes: log writes that do nothing (ask's own work), every log statement replaced by `select 1` (one
 * database round trip, the least a durable log can add), and on PostgreSQL ask() with CHAINLOG_LOG_COMMIT=async,
 * beside the synchronous default, for its price. CPU per call is this process's, every thread (PGlite's worker
 * included), plus the PostgreSQL backends' of its connections (/proc).
 * The figures go to bench/results.json with the machine they came from.
 *   npm run bench                       PGlite, plus PostgreSQL at BENCH_DATABASE_URL / TEST_DATABASE_URL if set
 *   BENCH_DATABASES=postgres npm run bench   one of them only (pglite: both of its threads; pglite-in-process)
 *   BENCH_ROUNDS=1                      a quick look that the bench runs; the figures want the default
 *   BENCH_WAYS='raw,postgres ask' BENCH_SCENARIOS=c32-20ms   some ways and scenarios only (for a profile, say);
 *                                       bench/results.json is then left as it was (as with BENCH_DATABASES)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { createLlm } from '../server/src/llm/ask.js';
import { setLogLevel } from '../server/src/log.js';
import {
  type InferenceLogWriter,
  createInferenceLogWriter,
  createLogWriterFor,
} from '../server/src/db/inference-log-writer.js';
import type { LogStatement } from '../server/src/db/inference-log-statements.js';
import { SYSTEM_PROMPT, USER_TEXT, benchLlmSettings, benchTask, outputSchema } from './bench-task.js';
import { type Sample, runLoad, summarize } from './load.js';
import { peerCalls } from './peers.js';
import { backendCpuReader } from './postgres-backends.js';
import type { CpuSnapshot } from './process-cpu.js';
import {
  type DatabaseKind,
  type Scenario,
  type ScenarioResult,
  type WayName,
  peersMarkdown,
  printAskRows,
  printBreakdown,
  printPeers,
  writeResults,
} from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ALL_SCENARIOS: Scenario[] = [
  { concurrency: 1, delayMs: 0, callsPerRound: 300 },
  { concurrency: 32, delayMs: 0, callsPerRound: 1_500 },
  { concurrency: 1, delayMs: 20, callsPerRound: 60 },
  { concurrency: 32, delayMs: 20, callsPerRound: 1_500 },
];
const scenarioLabel = (scenario: Scenario) => `c${scenario.concurrency}-${scenario.delayMs}ms`;
const chosen = (variable: string | undefined, name: string) => !variable || variable.split(',').includes(name);
const SCENARIOS = ALL_SCENARIOS.filter((scenario) => chosen(process.env.BENCH_SCENARIOS, scenarioLabel(scenario)));
const RESULTS_FILE = new URL('./results.json', import.meta.url);

// Every connection of the bench is named so, so its PostgreSQL backends can be found (and their CPU read).
const APPLICATION_NAME = `chainlog-bench-${process.pid}`;

interface BenchDatabase {
  handle: DatabaseHandle;
  /** PostgreSQL: a second handle whose log commits do not wait for the WAL flush. */
  asyncHandle: DatabaseHandle | undefined;
  /** PostgreSQL on this machine: snapshots the CPU of the bench's backends. */
  backends: (() => Promise<CpuSnapshot>) | undefined;
  cleanup(): Promise<void>;
}

async function openBenchDatabase(kind: DatabaseKind, url: string | undefined): Promise<BenchDatabase> {
  if (kind !== 'postgres') {
    const dir = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-'));
    const thread = kind === 'pglite' ? 'worker' : 'main';
    const handle = await openDatabase({ kind: 'pglite', dataDir: dir, thread });
    return {
      handle,
      asyncHandle: undefined,
      backends: undefined,
      cleanup: async () => {
        await handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!url) throw new Error('no PostgreSQL url');
  const schema = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url, application_name: 'chainlog-bench admin' });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade; create schema ${schema}`);
  const target = { kind: 'postgres', url, searchPath: schema, poolSize: 40 } as const;
  const handle = await openDatabase(target, { applicationName: APPLICATION_NAME });
  const asyncHandle = await openDatabase(target, {
    migrate: false,
    logCommit: 'async',
    applicationName: APPLICATION_NAME,
  });
  return {
    handle,
    asyncHandle,
    backends: await backendCpuReader(admin, APPLICATION_NAME),
    cleanup: async () => {
      await Promise.all([handle.close(), asyncHandle.close()]);
      await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
      await admin.end();
    },
  };
}

async function startFakeProcess(): Promise<{
  child: ChildProcess;
  openaiBaseUrl: string;
  setDelay(delayMs: number): Promise<void>;
}> {
  const child = fork(new URL('./fake-provider-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  const [ready] = (await once(child, 'message')) as [{ openaiBaseUrl: string }];
  return {
    child,
    openaiBaseUrl: ready.openaiBaseUrl,
    async setDelay(delayMs) {
      const acknowledged = once(child, 'message');
      child.send({ delayMs });
      await acknowledged;
    },
  };
}

const ROUND_TRIP: LogStatement = { name: 'bench_round_trip', text: 'select 1', values: [] };

/** Every way of calling, by name: the peers, ask() without writes, and ask()'s variants on each database. */
function ways(baseUrl: string, databases: Map<DatabaseKind, BenchDatabase>): Map<WayName, () => Promise<unknown>> {
  const settings = benchLlmSettings(baseUrl);
  const askWith = (handle: DatabaseHandle, logWriter: InferenceLogWriter) => {
    const llm = createLlm({ db: handle.db, settings, tasks: [benchTask], logWriter });
    return () => llm.ask(benchTask, { text: USER_TEXT });
  };
  const peers = peerCalls(baseUrl, outputSchema, { system: SYSTEM_PROMPT, user: USER_TEXT });
  const all = new Map<WayName, () => Promise<unknown>>([
    ['raw', peers.raw],
    ['parse', peers.parse],
    ['generateObject', peers.generateObject],
  ]);
  for (const [kind, { handle, asyncHandle }] of databases) {
    // ask() does not touch the database but through its log writer: one run without writes serves both databases.
    if (!all.has('noWrites')) all.set('noWrites', askWith(handle, { write: async () => {} }));
    all.set(`${kind} ask`, askWith(handle, createLogWriterFor(handle)));
    if (asyncHandle) all.set(`${kind} askAsync`, askWith(asyncHandle, createLogWriterFor(asyncHandle)));
    const roundTrip = createInferenceLogWriter(() => handle.executeLogStatement(ROUND_TRIP), {
      concurrency: handle.logConcurrency,
    });
    all.set(`${kind} roundTrip`, askWith(handle, roundTrip));
  }
  return all;
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const startedAt = new Date();
  const loadAverageAtStart = os.loadavg();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const available: DatabaseKind[] = ['pglite', 'pglite-in-process', ...(postgresUrl ? ['postgres' as const] : [])];
  // BENCH_DATABASES=postgres (or pglite, both of its threads) runs some of them, for a quicker look.
  const kinds = available.filter(
    (kind) =>
      chosen(process.env.BENCH_DATABASES, kind) ||
      (kind === 'pglite-in-process' && chosen(process.env.BENCH_DATABASES, 'pglite')),
  );
  const fake = await startFakeProcess();
  const databases = new Map<DatabaseKind, BenchDatabase>();
  for (const kind of kinds) databases.set(kind, await openBenchDatabase(kind, postgresUrl));
  // Every way's window reads the PostgreSQL backends, so a way that does not use them shows the noise floor.
  const backends = databases.get('postgres')?.backends;
  const calls = ways(fake.openaiBaseUrl, databases);
  for (const name of calls.keys()) if (!chosen(process.env.BENCH_WAYS, name)) calls.delete(name);
  const names = [...calls.keys()];
  console.log(
    `ask() and its peers, same fake provider (own process), ${ROUNDS} interleaved rounds per scenario (node ${process.version}, ${os.cpus().length} cores)`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    await fake.setDelay(scenario.delayMs);
    // Warm-up: the JIT, and at 32 at a time the connections each way opens, before any round counts.
    for (const call of calls.values()) await runLoad(Math.min(scenario.callsPerRound, 300), scenario.concurrency, call);
    const samples = new Map(names.map((name) => [name, [] as Sample[]]));
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the next way, so the database's after-work (WAL, autovacuum) of one way does not
      // always land on the same other one.
      const first = round % names.length;
      for (const name of [...names.slice(first), ...names.slice(0, first)]) {
        const call = calls.get(name);
        if (call) samples.get(name)?.push(await runLoad(scenario.callsPerRound, scenario.concurrency, call, backends));
      }
    }
    const stats = Object.fromEntries(names.map((name) => [name, summarize(samples.get(name) ?? [])]));
    results.push({ ...scenario, stats });
    console.log(`  done: ${scenario.delayMs} ms, ${scenario.concurrency} at a time`);
  }
  for (const database of databases.values()) await database.cleanup();
  fake.child.disconnect();
  printPeers(results, ROUNDS);
  printAskRows(results, kinds);
  printBreakdown(results, kinds);
  console.log(`\n${peersMarkdown(results)}`);
  if (process.env.BENCH_WAYS || process.env.BENCH_SCENARIOS || process.env.BENCH_DATABASES) return;
  writeResults(RESULTS_FILE, results, { rounds: ROUNDS, databases: kinds, startedAt, loadAverageAtStart });
  console.log(`\n(written to ${path.relative(process.cwd(), RESULTS_FILE.pathname)})`);
}

await main();
