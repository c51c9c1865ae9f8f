import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldNamesOf, inputText, oddProcedurePath, oddQueryString, oddWsMessage } from '../../test/fuzz-inputs.js';
import {
  type HttpAnswer,
  type ProcedureCall,
  type ProcedureType,
  WsSession,
  httpRequestFor,
  isServerFailure,
  sendHttp,
} from '../../test/fuzz-transports.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { DEFAULT_LIMITS } from '../http/limits.js';
import { appRouter } from './app.js';

// Cases per property: one over HTTP and one over a WebSocket for each procedure, and two of raw requests.
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const PROPERTY_TIMEOUT_MS = Math.max(120_000, RUNS * 2_000);
const PROBE_ID = 1_000_000;

interface FuzzedProcedure {
  path: string;
  type: ProcedureType;
  /** Its input schema, which shapes the inputs generated for it. */
  input: unknown;
}

// tRPC v11 keeps every procedure in `_def.procedures` under its dotted path (typed as the nested record, so read
// through a schema).
const procedureDefSchema = z.object({
  type: z.enum(['query', 'mutation', 'subscription']),
  inputs: z.array(z.unknown()),
});

// From the router itself, so a procedure added later is fuzzed without a change here.
const PROCEDURES: FuzzedProcedure[] = Object.entries<unknown>(appRouter._def.procedures).map(([path, procedure]) => {
  const definition = procedureDefSchema.parse(
    typeof procedure === 'function' && '_def' in procedure ? procedure._def : undefined,
  );
  return { path, type: definition.type, input: definition.inputs[0] };
});

function callOf(procedure: FuzzedProcedure): fc.Arbitrary<ProcedureCall> {
  return inputText(procedure.input).map((input) => ({ path: procedure.path, type: procedure.type, input }));
}

const anyCall: fc.Arbitrary<ProcedureCall> = fc.constantFrom(...PROCEDURES).chain(callOf);

/** A call of this procedure, alone or among up to three other calls (it comes first half the time). */
function callsWith(procedure: FuzzedProcedure): fc.Arbitrary<ProcedureCall[]> {
  return fc
    .tuple(callOf(procedure), fc.array(anyCall, { maxLength: 3 }), fc.boolean())
    .map(([target, others, targetFirst]) => (targetFirst ? [target, ...others] : [...others, target]));
}

/** What the run saw, printed at the end. */
const tally = {
  httpCalls: 0,
  httpRaw: 0,
  wsCalls: 0,
  wsRaw: 0,
  statuses: new Map<number, number>(),
  wsErrorCodes: new Map<string, number>(),
  chains: '',
};
const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

function expectNoServerFailure(answer: HttpAnswer, what: string): void {
  count(tally.statuses, answer.status);
  expect(answer.status, `${what} answered ${answer.status}: ${answer.body.slice(0, 500)}`).toBeLessThan(500);
}

describe('fuzzing every procedure of the running server', () => {
  let running: RunningServer;
  const startedAt = Date.now();

  beforeAll(async () => {
    // Submissions are fuzzed too: the per-minute allowance would turn nearly all of them into 429s.
    running = await startRunningServer({ limits: { maxSubmissionsPerMinute: 1_000_000 } });
  });
  afterAll(async () => {
    await running.close(10_000);
    const cases = tally.httpCalls + tally.httpRaw + tally.wsCalls + tally.wsRaw;
    process.stdout.write(
      `fuzz (${process.env.CHAINLOG_TEST_DB ?? 'pglite'}): ${cases} cases in ${((Date.now() - startedAt) / 1000).toFixed(1)} s ` +
        `(HTTP calls ${tally.httpCalls}, HTTP raw ${tally.httpRaw}, WebSocket calls ${tally.wsCalls}, WebSocket raw ${tally.wsRaw}; ` +
        `${PROCEDURES.length} procedures, FUZZ_RUNS=${RUNS}); HTTP statuses ${JSON.stringify(Object.fromEntries(tally.statuses))}, ` +
        `WebSocket errors ${JSON.stringify(Object.fromEntries(tally.wsErrorCodes))}; chains of accepted messages: ${tally.chains}\n`,
    );
  });

  it('enumerates every procedure of the router', () => {
    expect(PROCEDURES.map((procedure) => procedure.path)).toEqual(
      expect.arrayContaining(['health', 'inbox.submit', 'chains.events', 'logs.list']),
    );
    expect(fieldNamesOf(PROCEDURES.find((procedure) => procedure.path === 'logs.list')?.input)).toContain('from');
  });

  it.each(PROCEDURES)(
    'answers any input to $path over HTTP, alone or batched, with a status below 500',
    { timeout: PROPERTY_TIMEOUT_MS },
    async (procedure) => {
      await fc.assert(
        fc.asyncProperty(callsWith(procedure), fc.boolean(), async (calls, batch) => {
          tally.httpCalls += 1;
          const request = httpRequestFor(calls, batch || calls.length > 1);
          expectNoServerFailure(
            await sendHttp(running.url, request),
            `${request.method} ${request.path.slice(0, 300)}`,
          );
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('answers odd paths, query strings, methods and bodies under /trpc with a status below 500', {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    const paths = fc.oneof(oddProcedurePath, fc.constantFrom(...PROCEDURES.map((procedure) => procedure.path)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'),
        paths,
        oddQueryString,
        fc.option(
          fc.oneof(
            inputText(undefined).map((text) => text ?? ''),
            fc.string({ unit: 'binary' }),
          ),
          { nil: undefined },
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'multipart/form-data',
          'application/octet-stream',
          'application/x-www-form-urlencoded',
        ),
        async (method, path, query, body, contentType) => {
          tally.httpRaw += 1;
          // GET and HEAD carry no body in the clients that matter; node refuses neither, so it goes as written.
          const answer = await sendHttp(running.url, { method, path: `/trpc/${path}${query}`, body, contentType });
          expectNoServerFailure(answer, `${method} /trpc/${path}${query}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each(PROCEDURES)(
    'answers any input to $path over a WebSocket without an internal error, and the socket lives on',
    { timeout: PROPERTY_TIMEOUT_MS },
    async (procedure) => {
      await fc.assert(
        fc.asyncProperty(callsWith(procedure), fc.boolean(), async (calls, wrongMethod) => {
          tally.wsCalls += 1;
          const session = await WsSession.open(running.wsUrl, DEFAULT_LIMITS.maxWsMessageBytes);
          try {
            const answers = await Promise.all(
              calls.map((fuzzed, index) => {
                // Now and then a query sent as a mutation and so on: tRPC must refuse it, not fail on it.
                const method =
                  wrongMethod && index === 0 ? (fuzzed.type === 'mutation' ? 'query' : 'mutation') : fuzzed.type;
                return session.request(index + 1, method, { path: fuzzed.path, inputText: fuzzed.input });
              }),
            );
            for (const answer of answers)
              if (answer?.error?.data?.code) count(tally.wsErrorCodes, answer.error.data.code);
            await expectSocketAlive(session);
          } finally {
            session.close();
          }
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('answers raw WebSocket messages that are not tRPC requests without an internal error, and the socket lives on', {
    timeout: PROPERTY_TIMEOUT_MS,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(oddWsMessage, { minLength: 1, maxLength: 3 }), async (messages) => {
        tally.wsRaw += 1;
        const session = await WsSession.open(running.wsUrl, DEFAULT_LIMITS.maxWsMessageBytes);
        try {
          for (const message of messages) session.send(message);
          await expectSocketAlive(session);
        } finally {
          session.close();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("is healthy afterwards: /healthz answers 200, a call over HTTP and one over a WebSocket work, and every accepted message's chain succeeded", async () => {
    const health = await sendHttp(running.url, { method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
    const submitted = await sendHttp(running.url, {
      method: 'POST',
      path: '/trpc/inbox.submit',
      body: JSON.stringify({ from: 'ada@example.com', subject: 'After the fuzz', body: 'Where is my order?' }),
    });
    expect(submitted.status, submitted.body).toBe(200);
    const session = await WsSession.open(running.wsUrl, DEFAULT_LIMITS.maxWsMessageBytes);
    try {
      expect(await session.request(1, 'query', { path: 'logs.facets', inputText: undefined })).toMatchObject({
        id: 1,
        result: { type: 'data' },
      });
    } finally {
      session.close();
    }
    // The chains of the fuzzed messages that were accepted run on the offline provider, which never fails: a
    // chain that did not succeed, or log row that is not ok, means odd text broke something after the answer.
    expect(await running.dependencies.chains.drain(30_000)).toBe(true);
    const { db } = running.dependencies;
    const chains = await db
      .selectFrom('chain')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    const logs = await db
      .selectFrom('inference_log')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    tally.chains = chains.map(({ status, count }) => `${status} ${count}`).join(', ');
    expect(chains.map((row) => row.status)).toEqual(['succeeded']);
    expect(logs.map((row) => row.status)).toEqual(['ok']);
  });

  /**
   * Every message so far is free of internal errors, and the socket still answers a health query; or, when a message
   * was over the size bound, the socket was closed with 1009 (message too big), as the Limits promise.
   */
  async function expectSocketAlive(session: WsSession): Promise<void> {
    if (session.sentOversize) {
      expect((await session.closed).code).toBe(1009);
      expect(session.messages.filter(isServerFailure)).toEqual([]);
      return;
    }
    const probe = await session.request(PROBE_ID, 'query', { path: 'health', inputText: undefined });
    expect(probe, JSON.stringify(session.messages.slice(-5))).toMatchObject({ id: PROBE_ID, result: { type: 'data' } });
    expect(session.messages.filter(isServerFailure)).toEqual([]);
    expect(session.strayMessages).toEqual([]);
    expect(session.isOpen(), `closed with ${JSON.stringify(session.closedWith)}`).toBe(true);
  }
});
