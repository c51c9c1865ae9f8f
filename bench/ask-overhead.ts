/**
 * How much does ask() (validation, durable logging) cost over the raw SDK call? Both run against the same fake
 * provider in the same process, interleaved round by round so drift hits both sides alike.
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
import { createLlm } from '../server/src/llm/ask.js';
import { buildLlmSettings } from '../server/src/llm/settings.js';
import { defineTask } from '../server/src/llm/task.js';
import { setLogLevel } from '../server/src/log.js';
import { createLogWriterFor } from '../server/src/db/inference-log-writer.js';

const ROUNDS = 5;
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
    return { handle, cleanup: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  if (!url) throw new Error('no PostgreSQL url');
  const schema = `bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const handle: DatabaseHandle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 40 });
  return {
    handle,
    cleanup: async () => {
      await handle.close();
      await admin.query(`drop schema ${schema} cascade`);
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
  console.log(`ask() vs raw openai SDK, same fake provider (own process), ${ROUNDS} interleaved rounds per scenario (node ${process.version})`);
  // loop busy: how much of the wall time this process's event loop was running code. Near 100 %, the SDK and ask()
  // compete for one core, and the ratio measures CPU per call more than latency.
  console.log('db        conc  delay   raw/s    ask/s   ratio   raw p50  added p50  raw p99  added p99  loop busy raw/ask');
  for (const kind of databases) {
    const { handle, cleanup } = await openBenchDatabase(kind, postgresUrl);
    const settings = buildLlmSettings({
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: fake.openaiBaseUrl,
      CHAINLOG_LLM_TIMEOUT_MS: 30_000,
      CHAINLOG_LLM_MAX_RETRIES: 0,
      CHAINLOG_VALIDATION_RETRIES: 0,
    });
    const llm = createLlm({ db: handle.db, settings, tasks: [task], logWriter: createLogWriterFor(handle) });
    for (const scenario of SCENARIOS) {
      await fake.setDelay(scenario.delayMs);
      const rawCall = () => raw.chat.completions.create(rawBody);
      const askCall = () => llm.ask(task, { text: 'Where is my order A-1042?' });
      await runLoad(50, scenario.concurrency, rawCall);
      await runLoad(50, scenario.concurrency, askCall);
      const rawSamples: Sample[] = [];
      const askSamples: Sample[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        rawSamples.push(await runLoad(scenario.callsPerRound, scenario.concurrency, rawCall));
        askSamples.push(await runLoad(scenario.callsPerRound, scenario.concurrency, askCall));
      }
      const rawStats = summarize(rawSamples);
      const askStats = summarize(askSamples);
      console.log(
        [
          kind.padEnd(8),
          String(scenario.concurrency).padStart(5),
          `${scenario.delayMs}ms`.padStart(6),
          rawStats.throughput.toFixed(0).padStart(8),
          askStats.throughput.toFixed(0).padStart(8),
          (askStats.throughput / rawStats.throughput).toFixed(3).padStart(7),
          `${rawStats.p50.toFixed(2)}ms`.padStart(9),
          `${(askStats.p50 - rawStats.p50).toFixed(2)}ms`.padStart(10),
          `${rawStats.p99.toFixed(2)}ms`.padStart(8),
          `${(askStats.p99 - rawStats.p99).toFixed(2)}ms`.padStart(10),
          `${(rawStats.loopBusy * 100).toFixed(0)}%/${(askStats.loopBusy * 100).toFixed(0)}%`.padStart(18),
        ].join(' '),
      );
    }
    await cleanup();
  }
  fake.child.disconnect();
}

await main();
