import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeProvider,
  type FakeReply,
  type RecordedRequest,
  startFakeProvider,
} from '../../test/fake-provider.js';
import { FAULT_KINDS, type FaultInjector, createFaultInjector } from '../../test/fault-injector.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { TRIAGE_ANSWERS, triageReply } from '../../test/triage-replies.js';
import { LlmError } from './errors/index.js';
import { waitUnlessAborted } from './retry-policy.js';

const CALLS = 500;
const CONCURRENCY = 16;
const FAULT_RATE = 0.3;
const SEED = 20_261_202;
// A probe of the server's other work (/healthz, logs.list) after every this many finished calls.
const PROBE_EVERY = 25;

let fake: FakeProvider;
let injector: FaultInjector;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakeProvider();
  injector = createFaultInjector({ seed: SEED, faultRate: FAULT_RATE, answer: triageAnswer });
  fake.respondWith(injector.respond);
  server = await startRunningServer({
    fakeProvider: fake,
    // Short enough that the suite's hangs and SDK backoffs stay within a minute, long enough for a loaded machine.
    env: { CHAINLOG_LLM_MAX_RETRIES: '1', CHAINLOG_VALIDATION_RETRIES: '1', CHAINLOG_LLM_TIMEOUT_MS: '1500' },
    // ask()'s own backoff, a hundredth of the real one: the timer and its abort still run, the suite does not wait 0.5 s.
    retryDelay: (delayMs, signal) => waitUnlessAborted(delayMs / 100, signal),
  });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

type Outcome = { ok: true } | { ok: false; error: unknown };

describe('ask() under 30 % injected provider faults, in the running server', () => {
  it('ends each of 500 calls with its output or a typed LlmError, leaves no row pending, and keeps answering others', {
    timeout: 120_000,
  }, async () => {
    const llm = server.dependencies.llm;
    const outcomes: Outcome[] = [];
    const probes: Promise<number[]>[] = [];
    let started = 0;
    const startedAt = performance.now();

    async function worker(): Promise<void> {
      while (started < CALLS) {
        const index = started++;
        // Half on OpenAI, half on Anthropic; two tasks; every message distinct, so the injector's draws are.
        const task = index % 2 === 0 ? 'intent recognition' : 'entity extraction';
        const model = Math.floor(index / 2) % 2 === 0 ? undefined : 'anthropic:claude-haiku-4-5';
        const message = {
          from: `customer-${index}@example.com`,
          subject: `Order A-${1000 + index}`,
          body: `Where is order A-${1000 + index}?`,
        };
        const outcome = await llm.askByName(task, message, { model }).then(
          (): Outcome => ({ ok: true }),
          (error: unknown): Outcome => ({ ok: false, error }),
        );
        outcomes.push(outcome);
        if (outcomes.length % PROBE_EVERY === 0) probes.push(probeServer());
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const probeStatuses = (await Promise.all(probes)).flat();
    const seconds = (performance.now() - startedAt) / 1000;

    const byClass = new Map<string, number>();
    const untyped: unknown[] = [];
    for (const outcome of outcomes) {
      const name = outcome.ok ? 'ok' : LlmError.isInstance(outcome.error) ? outcome.error.name : 'untyped';
      byClass.set(name, (byClass.get(name) ?? 0) + 1);
      if (!outcome.ok && (!LlmError.isInstance(outcome.error) || outcome.error.name === 'LlmError'))
        untyped.push(outcome.error);
    }
    const rows = await sql<{ status: string; code: string | null; rows: number }>`
      select status, error->>'code' as code, count(*)::int as rows from inference_log group by 1, 2 order by 1, 2
    `.execute(server.dependencies.db);
    const rowsOf = (status: string, code: string | null = null) =>
      rows.rows.find((row) => row.status === status && row.code === code)?.rows ?? 0;

    const requests = fake.requests.length;
    const faults = [...injector.injected.values()].reduce((sum, count) => sum + count, 0);
    // The counts, in the test output.
    console.log(
      [
        `fault suite (${process.env.CHAINLOG_TEST_DB ?? 'pglite'}): ${outcomes.length} calls in ${seconds.toFixed(1)} s, concurrency ${CONCURRENCY}`,
        `  outcomes: ${[...byClass].map(([name, count]) => `${name} ${count}`).join(', ')}`,
        `  provider requests ${requests}, faults injected ${faults} (${((100 * faults) / requests).toFixed(1)} %): ${[...injector.injected].map(([kind, count]) => `${kind} ${count}`).join(', ')}`,
        `  inference_log rows: ${rows.rows.map((row) => `${row.status}${row.code ? `/${row.code}` : ''} ${row.rows}`).join(', ')}`,
        `  probes answered while it ran: ${probeStatuses.length} (statuses ${[...new Set(probeStatuses)].join(', ')})`,
      ].join('\n'),
    );

    expect(outcomes).toHaveLength(CALLS);
    expect(untyped).toEqual([]);
    expect(rowsOf('pending')).toBe(0);
    expect(rows.rows.filter((row) => row.status === 'error' && row.code === null)).toEqual([]);
    // One ok row per call that returned, and each non-JSON 200 is an attempt of its own, logged and retried.
    expect(rowsOf('ok')).toBe(byClass.get('ok'));
    expect(rowsOf('error', 'invalid_response_body')).toBe(injector.injected.get('non-JSON 200'));
    expect(rowsOf('error', 'refusal')).toBe(injector.injected.get('refusal'));
    // Every kind of fault happened, and the server answered everything else while they did.
    for (const kind of FAULT_KINDS) expect(injector.injected.get(kind), kind).toBeGreaterThan(0);
    expect(probeStatuses).toHaveLength((2 * CALLS) / PROBE_EVERY);
    expect(new Set(probeStatuses)).toEqual(new Set([200]));
  });
});

/** GET /healthz and logs.list over HTTP while the calls run; their statuses. */
async function probeServer(): Promise<number[]> {
  const input = encodeURIComponent(JSON.stringify({ limit: 5 }));
  const answers = await Promise.all([
    fetch(`${server.url}/healthz`),
    fetch(`${server.url}/trpc/logs.list?input=${input}`),
  ]);
  await Promise.all(answers.map((answer) => answer.arrayBuffer()));
  return answers.map((answer) => answer.status);
}

/** The triage answer for an OpenAI request (by schema name) or an Anthropic one (by the schema's properties). */
function triageAnswer(request: RecordedRequest): FakeReply {
  if (request.api === 'openai') return triageReply(request);
  const properties = anthropicSchemaProperties(request.body);
  const match = Object.values(TRIAGE_ANSWERS).find((answer) => sameKeys(Object.keys(answer), properties));
  return match
    ? { kind: 'json', value: match }
    : { kind: 'status', status: 400, message: 'fake provider: no triage answer for this schema' };
}

function anthropicSchemaProperties(body: unknown): string[] {
  if (!isRecord(body) || !isRecord(body.output_config) || !isRecord(body.output_config.format)) return [];
  const schema = body.output_config.format.schema;
  return isRecord(schema) && isRecord(schema.properties) ? Object.keys(schema.properties) : [];
}

function sameKeys(left: string[], right: string[]): boolean {
  return left.length === right.length && left.every((key) => right.includes(key));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
