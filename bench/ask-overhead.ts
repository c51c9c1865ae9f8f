/**
 * How much does ask() (validation, durable logging) cost over the raw SDK call? Both run in this process against
 * the same fake provider (a process of its own), interleaved round by round so drift hits both sides alike. Two more variants of
 * ask() run in the same rounds to show where the added time goes: log writes that do nothing (ask's own work), and
 * every log statement replaced by `select 1` (one database round trip, the least a durable log can add). On
 * PostgreSQL a fourth runs ask() with CHAINLOG_LOG_COMMIT=async, beside the synchronous default, for its price.
 *   npm run bench                       PGlite, plus PostgreSQL at BENCH_DATABASE_URL / TEST_DATABASE_URL if set
 *   BENCH_DATABASES=postgres npm run bench   one of them only
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { z } from 'zod';
import { type DatabaseHandle, openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/chains/jobs/jobs-schema.js';
import { createLlm } from '../server/src/llm/ask.js';
import { buildLlmSettings } from '../server/src/llm/settings.js';
import { defineTask } from '../server/src/llm/task.js';
import { setLogLevel } from '../server/src/log.js';
import { type InferenceLogWriter, createInferenceLogWriter, createLogWriterFor } from '../server/src/db/inference-log-writer.js';
import type { LogStatement } from '../server/src/db/inference-log-statements.js';

// BENCH_ROUNDS=1 for a quick look that the bench runs; the figures want the default.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SCENARIOS = [
  { concurrency: 1, delayMs: 0, callsPerRound: 300 },
  { concurrency: 32, delayMs: 0, callsPerRound: 1_500 },
  { concurrency: 1, delayMs: 20, callsPerRound: 60 },
  { concurrency: 32, delayMs: 20, callsPerRound: 1_500 },
];

const outputSchema = z.object({
  intent: z.enum(['order_status', 'refund_request', 'other']),
  confidence: z.number().min(0).max(1),
  entities: z.array(z.object({ kind: z.string(), value: z.string() })),
});
const task = defineTask({
  name: 'bench intent',
  input: z.object({ text: z.string() }),
  output: outputSchema,
  model: 'openai:gpt-4.1-mini',
  prompt: (input) => [
    { role: 'system', content: 'Classify the intent.' },
    { role: 'user', content: input.text },
  ],
});

interface Sample {
  wallMs: number;
  latencies: number[];
  /** Time the event loop of this process spent running code (not waiting for I/O). */
  loopBusyMs: number;
}

async function runLoad(calls: number, concurrency: number, call: () => Promise<unknown>): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const worker = async () => {
    while (next < calls) {
      next++;
      const callStarted = performance.now();
      await call();
      latencies.push(performance.now() - callStarted);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { wallMs: performance.now() - started, latencies, loopBusyMs: performance.eventLoopUtilization(loopBefore).active };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

type Stats = ReturnType<typeof summarize>;

function summarize(samples: Sample[]) {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const calls = latencies.length;
  const wallMs = samples.reduce((total, sample) => total + sample.wallMs, 0);
  const loopBusyMs = samples.reduce((total, sample) => total + sample.loopBusyMs, 0);
  return { throughput: (calls / wallMs) * 1000, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), loopBusy: loopBusyMs / wallMs };
}

async function openBenchDatabase(kind: 'pglite' | 'postgres', url: string | undefined) {
  if (kind === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-'));
    const handle = await openDatabase({ kind: 'pglite', dataDir: dir });
    return { handle, asyncHandle: undefined, cleanup: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  if (!url) throw new Error('no PostgreSQL url');
  const schema = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade; create schema ${schema}`);
  const handle: DatabaseHandle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 40 });
  const asyncHandle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 40 }, { migrate: false, logCommit: 'async' });
  return {
    handle,
    asyncHandle,
    cleanup: async () => {
      await Promise.all([handle.close(), asyncHandle.close()]);
      await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
      await admin.end();
    },
  };
}

async function startFakeProcess(): Promise<{ child: ChildProcess; openaiBaseUrl: string; setDelay(delayMs: number): Promise<void> }> {
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
const VARIANTS = ['raw', 'ask', 'askAsync', 'noWrites', 'roundTrip'] as const;
type Variant = (typeof VARIANTS)[number];
type VariantStats = Record<Exclude<Variant, 'askAsync'>, Stats> & { askAsync?: Stats };
interface ScenarioResult {
  kind: string;
  concurrency: number;
  delayMs: number;
  stats: VariantStats;
}

/** The log writers of the ask() variants: the real one, one that writes nothing, one that only makes round trips. */
function logWriters(handle: DatabaseHandle): Record<Exclude<Variant, 'raw' | 'askAsync'>, InferenceLogWriter> {
  return {
    ask: createLogWriterFor(handle),
    noWrites: { write: async () => {} },
    roundTrip: createInferenceLogWriter(() => handle.executeLogStatement(ROUND_TRIP), { concurrency: handle.logConcurrency }),
  };
}

function cells(values: string[], widths: number[]): string {
  return values.map((value, index) => value.padStart(widths[index] ?? 0)).join(' ');
}

const ms = (value: number) => `${value.toFixed(2)}ms`;

async function main(): Promise<void> {
  setLogLevel('warn');
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const available: ('pglite' | 'postgres')[] = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];
  // BENCH_DATABASES=postgres (or pglite) runs one of them, for a quicker look.
  const databases = available.filter((kind) => !process.env.BENCH_DATABASES || process.env.BENCH_DATABASES.split(',').includes(kind));
  const fake = await startFakeProcess();
  const raw = new OpenAI({ apiKey: 'sk-bench', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
  const rawBody = {
    model: 'gpt-4.1-mini',
    messages: task.prompt({ text: 'Where is my order A-1042?' }),
    response_format: { type: 'json_schema' as const, json_schema: { name: 'bench_intent', strict: true, schema: z.toJSONSchema(outputSchema) } },
    max_completion_tokens: 2_048,
  };
  const settings = buildLlmSettings({
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    CHAINLOG_LLM_TIMEOUT_MS: 30_000,
    CHAINLOG_LLM_MAX_RETRIES: 0,
    CHAINLOG_VALIDATION_RETRIES: 0,
  });
  console.log(`ask() vs raw openai SDK, same fake provider (own process), ${ROUNDS} interleaved rounds per scenario (node ${process.version})`);
  // loop busy: how much of the wall time this process's event loop was running code. Near 100 %, the SDK and ask()
  // compete for one core, and the ratio measures CPU per call more than latency.
  console.log('db        conc  delay   raw/s    ask/s   ratio   raw p50  added p50  raw p99  added p99  loop busy raw/ask');
  const results: ScenarioResult[] = [];
  for (const kind of databases) {
    const { handle, asyncHandle, cleanup } = await openBenchDatabase(kind, postgresUrl);
    const writers = logWriters(handle);
    // On PostgreSQL, ask() also runs with CHAINLOG_LOG_COMMIT=async: what the durable default costs beside it.
    const variants = VARIANTS.filter((variant) => variant !== 'askAsync' || asyncHandle);
    const askWith = (logWriter: InferenceLogWriter) => {
      const llm = createLlm({ db: handle.db, settings, tasks: [task], logWriter });
      return () => llm.ask(task, { text: 'Where is my order A-1042?' });
    };
    const calls: Record<Variant, () => Promise<unknown>> = {
      raw: () => raw.chat.completions.create(rawBody),
      ask: askWith(writers.ask),
      askAsync: asyncHandle ? askWith(createLogWriterFor(asyncHandle)) : () => Promise.reject(new Error('PostgreSQL only')),
      noWrites: askWith(writers.noWrites),
      roundTrip: askWith(writers.roundTrip),
    };
    for (const scenario of SCENARIOS) {
      await fake.setDelay(scenario.delayMs);
      for (const variant of variants) await runLoad(50, scenario.concurrency, calls[variant]);
      const samples = Object.fromEntries(variants.map((variant) => [variant, [] as Sample[]])) as Record<Variant, Sample[]>;
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with the next variant, so the database's after-work (WAL, autovacuum) of one variant
        // does not always land on the same other one.
        const first = round % variants.length;
        for (const variant of [...variants.slice(first), ...variants.slice(0, first)]) {
          samples[variant].push(await runLoad(scenario.callsPerRound, scenario.concurrency, calls[variant]));
        }
      }
      const stats = Object.fromEntries(variants.map((variant) => [variant, summarize(samples[variant])])) as VariantStats;
      results.push({ kind, concurrency: scenario.concurrency, delayMs: scenario.delayMs, stats });
      printAskRow(kind, scenario, stats);
    }
    await cleanup();
  }
  printBreakdown(results);
  fake.child.disconnect();
}

function printAskRow(kind: string, scenario: { concurrency: number; delayMs: number }, stats: VariantStats): void {
  const { raw, ask } = stats;
  const values = [
    String(scenario.concurrency), `${scenario.delayMs}ms`, raw.throughput.toFixed(0), ask.throughput.toFixed(0),
    (ask.throughput / raw.throughput).toFixed(3), ms(raw.p50), ms(ask.p50 - raw.p50), ms(raw.p99), ms(ask.p99 - raw.p99),
    `${(raw.loopBusy * 100).toFixed(0)}%/${(ask.loopBusy * 100).toFixed(0)}%`,
  ];
  console.log(`${kind.padEnd(8)} ${cells(values, [5, 6, 8, 8, 7, 9, 10, 8, 10, 18])}`);
}

/** Ratio and added p50 of each ask() variant, measured in the same rounds as the table above. */
function printBreakdown(results: ScenarioResult[]): void {
  console.log('\nwhere the added time goes: ask() with log writes that do nothing, with each log statement a `select 1`, with');
  console.log('CHAINLOG_LOG_COMMIT=async (PostgreSQL), and as is (sync, the default)');
  console.log('db        conc  delay   no writes: ratio  added p50   round trip: ratio  added p50   async log: ratio  added p50   ask(): ratio  added p50');
  for (const { kind, concurrency, delayMs, stats } of results) {
    const columns = (variant: Variant) => {
      const measured = stats[variant];
      return measured ? [(measured.throughput / stats.raw.throughput).toFixed(3), ms(measured.p50 - stats.raw.p50)] : ['-', '-'];
    };
    console.log(
      `${kind.padEnd(8)} ${cells([String(concurrency), `${delayMs}ms`, ...columns('noWrites'), ...columns('roundTrip'), ...columns('askAsync'), ...columns('ask')], [5, 6, 17, 10, 19, 10, 19, 10, 14, 10])}`,
    );
  }
}

await main();
