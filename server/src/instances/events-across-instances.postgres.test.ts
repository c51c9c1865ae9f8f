import { randomUUID } from 'node:crypto';
import type { SupportMessage } from '@chainlog/shared';
import { type TRPCClient, createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type FakeProvider,
  type FakeReply,
  type RecordedRequest,
  startFakeProvider,
} from '../../test/fake-provider.js';
import { within } from '../../test/llm-harness.js';
import type { ServerProcess } from '../../test/server-process.js';
import { startSchemaInstance } from '../../test/shared-schema-instance.js';
import { dropSchemaStatement, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { ReplyGate, triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';

// Three real server processes (`server/src/main.ts`, as `npm start` runs it) on loopback ports, sharing one schema
// of CI's PostgreSQL: chains are submitted on A and followed over WebSockets on B and C.

type RouterOutputs = inferRouterOutputs<AppRouter>;
type ChainEvent = RouterOutputs['chains']['events'] extends AsyncIterable<{ data: infer Event }> ? Event : never;
type ChainChange = RouterOutputs['chains']['changes'] extends AsyncIterable<infer Change> ? Change : never;

// Node 20 has no global WebSocket; ws's type lacks the DOM-only dispatchEvent, which tRPC never calls.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
const CHAINS = 40;
const WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 120_000;

interface Instance {
  id: string;
  server: ServerProcess;
  api: TRPCClient<AppRouter>;
  closeSockets(): Promise<void>;
}

let fake: FakeProvider;
/** While set, each provider request waits for the test to release it. */
let gate: ReplyGate | undefined;
/** While set, provider requests wait for it before answering. */
let hold: Promise<void> | undefined;
let schema: string;
const instances: Instance[] = [];
let a: Instance;
let b: Instance;
let c: Instance;

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: async (request) => {
      if (gate) return gate.respond(request);
      await hold;
      return answerAfter(request, 20);
    },
  });
  schema = `test_instances_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(`create schema ${schema}`));
  // One first, so only one process creates the schema's tables; then two more over the migrated schema.
  a = await startInstance();
  [b, c] = await Promise.all([startInstance(), startInstance()]);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.closeSockets()));
  for (const { server } of instances) server.child.kill('SIGKILL');
  await Promise.all(instances.map(({ server }) => server.exited));
  await fake?.close();
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(dropSchemaStatement(schema)));
});

function answerAfter(request: RecordedRequest, delayMs: number): FakeReply {
  const reply = triageReply(request);
  return reply.kind === 'json' ? { ...reply, delayMs } : reply;
}

async function startInstance(): Promise<Instance> {
  const id = randomUUID();
  const server = await startSchemaInstance({
    databaseUrl: testDatabaseUrl(),
    schema,
    fake,
    instanceId: id,
    env: { CHAINLOG_MAX_RUNNING_CHAINS: String(CHAINS) },
  });
  const wsClient = createWSClient({ url: `${server.url.replace(/^http/, 'ws')}/trpc`, WebSocket: NodeWebSocket });
  const api = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: `${server.url}/trpc` }),
      }),
    ],
  });
  const instance = { id, server, api, closeSockets: () => wsClient.close() };
  instances.push(instance);
  return instance;
}

/** What one subscription received, with when (Date.now()) each event arrived. */
class Received<T> {
  readonly items: { data: T; receivedAt: number }[] = [];
  readonly errors: unknown[] = [];
  startedAt = 0;
  private started: () => void = () => undefined;
  private completed: () => void = () => undefined;
  private readonly waiters: { until: () => boolean; resolve: () => void }[] = [];
  readonly whenStarted = new Promise<void>((resolve) => {
    this.started = resolve;
  });
  readonly whenCompleted = new Promise<void>((resolve) => {
    this.completed = resolve;
  });

  readonly observer = {
    onStarted: () => {
      this.startedAt = Date.now();
      this.started();
    },
    onData: (data: T) => {
      this.items.push({ data, receivedAt: Date.now() });
      for (const waiter of [...this.waiters]) {
        if (!waiter.until()) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    onError: (error: unknown) => {
      this.errors.push(error);
      this.completed();
    },
    onComplete: () => this.completed(),
  };

  /** Resolves once what arrived satisfies `until`; fails the test, naming `what`, after WAIT_MS. */
  receive(what: string, until: (items: readonly T[]) => boolean): Promise<void> {
    const check = () => until(this.items.map((item) => item.data));
    if (check()) return Promise.resolve();
    return within(new Promise<void>((resolve) => this.waiters.push({ until: check, resolve })), WAIT_MS, what);
  }
}

function followEvents(
  instance: Instance,
  chainId: string,
  lastEventId?: string,
): { received: Received<ChainEvent>; stop(): void } {
  const received = new Received<ChainEvent>();
  const subscription = instance.api.chains.events.subscribe(
    { chainId, ...(lastEventId ? { lastEventId } : {}) },
    { ...received.observer, onData: ({ data }) => received.observer.onData(data) },
  );
  return { received, stop: () => subscription.unsubscribe() };
}

function followChanges(instance: Instance): { received: Received<ChainChange>; stop(): void } {
  const received = new Received<ChainChange>();
  const subscription = instance.api.chains.changes.subscribe(undefined, received.observer);
  return { received, stop: () => subscription.unsubscribe() };
}

/** The chain's event ids as stored, in order, read straight from the table. */
async function storedIds(chainId: string): Promise<string[]> {
  return withAdminClient(testDatabaseUrl(), async (admin) => {
    const { rows } = await admin.query<{ event_id: string }>(
      `select id::text as event_id from ${schema}.chain_event where chain_id = $1 order by id`,
      [chainId],
    );
    return rows.map((row) => row.event_id);
  });
}

const isFinished = (events: readonly { payload: { type: string } }[]) =>
  events.at(-1)?.payload.type === 'chain_finished';
const idsOf = (events: readonly ChainEvent[]) => events.map((event) => event.id);

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

describe('chain events across three server processes on one PostgreSQL', () => {
  it(
    "delivers every event of chains submitted on A to subscribers on A, B and C, in order and exactly once, and A's chains to a chains.changes subscriber on C",
    async () => {
      const changes = followChanges(c);
      await within(changes.received.whenStarted, WAIT_MS, 'the chains.changes subscription on C to start');
      // Held until every subscription is open, so most events are stored while they listen (live, not replayed).
      let openGate: () => void = () => undefined;
      hold = new Promise<void>((resolve) => {
        openGate = resolve;
      });

      const chainIds: string[] = [];
      for (let index = 0; index < CHAINS; index++) chainIds.push((await a.api.inbox.submit.mutate(MESSAGE)).chainId);
      // A follows its own chains too: it delivers what it stores itself, the others what the database announces.
      const followers = chainIds.map((chainId) => ({
        chainId,
        onA: followEvents(a, chainId),
        onB: followEvents(b, chainId),
        onC: followEvents(c, chainId),
      }));
      await within(
        Promise.all(
          followers.flatMap(({ onA, onB, onC }) => [
            onA.received.whenStarted,
            onB.received.whenStarted,
            onC.received.whenStarted,
          ]),
        ),
        WAIT_MS,
        'every subscription to start',
      );
      openGate();
      hold = undefined;

      const latenciesMs = { origin: [] as number[], others: [] as number[] };
      for (const { chainId, onA, onB, onC } of followers) {
        await onA.received.receive(`chain ${chainId} to finish on A`, isFinished);
        await onB.received.receive(`chain ${chainId} to finish on B`, isFinished);
        await onC.received.receive(`chain ${chainId} to finish on C`, isFinished);
        const stored = await storedIds(chainId);
        for (const [where, received] of [
          ['origin', onA.received],
          ['others', onB.received],
          ['others', onC.received],
        ] as const) {
          await within(received.whenCompleted, WAIT_MS, `the subscription to chain ${chainId} to complete`);
          expect(received.errors).toEqual([]);
          // Every stored event, each once, in id order: no gap against the table, no repeat.
          expect(idsOf(received.items.map((item) => item.data))).toEqual(stored);
          for (const { data, receivedAt } of received.items) {
            // Only events stored while the subscription was open measure delivery (the others were replayed).
            if (Date.parse(data.createdAt) > received.startedAt)
              latenciesMs[where].push(receivedAt - Date.parse(data.createdAt));
          }
        }
      }

      await changes.received.receive('chains.changes on C to see every chain of A finish', (items) =>
        chainIds.every((chainId) =>
          items.some((change) => change.chainId === chainId && change.type === 'chain_finished'),
        ),
      );
      for (const chainId of chainIds) {
        const seen = changes.received.items.filter((item) => item.data.chainId === chainId).map((item) => item.data);
        expect(seen.map((change) => change.eventId)).toEqual(await storedIds(chainId));
        expect(seen.at(-1)).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
      }
      changes.stop();

      for (const [where, label] of [
        ['origin', 'on the instance that stored it'],
        ['others', 'on another instance'],
      ] as const) {
        const sorted = [...latenciesMs[where]].sort((left, right) => left - right);
        console.info(
          `event stored → received ${label}: ${sorted.length} events, p50 ${percentile(sorted, 0.5)} ms, p99 ${percentile(sorted, 0.99)} ms, max ${sorted.at(-1)} ms`,
        );
        expect(sorted.length).toBeGreaterThan(CHAINS * (where === 'origin' ? 1 : 2) * 4);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'resumes with lastEventId on another instance than the first: nothing lost, nothing repeated',
    async () => {
      const held = new ReplyGate();
      gate = held;
      try {
        const { chainId } = await a.api.inbox.submit.mutate(MESSAGE);
        const first = followEvents(b, chainId);
        (await held.next()).release();
        await first.received.receive('step 2 to start, seen on B', (events) =>
          events.some((event) => event.payload.type === 'step_started' && event.payload.step === 2),
        );
        first.stop();
        const seenOnB = idsOf(first.received.items.map((item) => item.data));

        // Stored while nobody follows the chain.
        (await held.next()).release();
        await expect.poll(async () => (await storedIds(chainId)).length, { timeout: WAIT_MS }).toBe(seenOnB.length + 2);

        const resumed = followEvents(c, chainId, seenOnB.at(-1));
        await within(resumed.received.whenStarted, WAIT_MS, 'the resumed subscription on C to start');
        // Stored while C follows it: live.
        (await held.next()).release();
        await resumed.received.receive('the chain to finish, seen on C', isFinished);
        await within(resumed.received.whenCompleted, WAIT_MS, 'the resumed subscription to complete');

        const seenOnC = idsOf(resumed.received.items.map((item) => item.data));
        expect([...seenOnB, ...seenOnC]).toEqual(await storedIds(chainId));
        expect(seenOnC.length).toBeGreaterThan(2);
      } finally {
        gate = undefined;
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "delivers, after its listening connection is terminated, the events announced while it was away: a followed chain's and a new chain's",
    async () => {
      const held = new ReplyGate();
      gate = held;
      const admin = new pg.Client({ connectionString: testDatabaseUrl() });
      await admin.connect();
      try {
        const changes = followChanges(c);
        await within(changes.received.whenStarted, WAIT_MS, 'chains.changes on C to start');
        const { chainId: followed } = await a.api.inbox.submit.mutate(MESSAGE);
        const onC = followEvents(c, followed);
        await onC.received.receive('step 1 to start, seen on C', (events) =>
          events.some((event) => event.payload.type === 'step_started'),
        );
        const listenerBefore = await listenerOf(admin, c);

        // Hold every chain event insert, so that A's next ones commit just after C's listener is gone.
        await admin.query('begin');
        await admin.query(`lock table ${schema}.chain_event in share mode`);
        const { chainId: unknown } = await a.api.inbox.submit.mutate(MESSAGE); // its chain_started waits for the lock
        (await held.next()).release(); // step 1 of the followed chain finishes: its step_finished waits too
        await expect.poll(() => insertsWaitingOn(a), { timeout: WAIT_MS }).toBe(2);
        // The listener's backend is told to end, then the inserts go on at once: an idle backend ends on the signal,
        // and the listener connects again no sooner than 50 ms after it lost its connection.
        await admin.query('select pg_terminate_backend($1)', [listenerBefore.pid]);
        const released = await admin.query<{ at: Date }>('select clock_timestamp() as at');
        await admin.query('commit');
        const releasedAt = released.rows[0]?.at;

        // Announced while nobody listened on C: the reconnect's catch-up delivers them.
        await onC.received.receive('step 2 of the followed chain to start, seen on C', (events) =>
          events.some((event) => event.payload.type === 'step_started' && event.payload.step === 2),
        );
        await changes.received.receive("the new chain's first step to start, seen by chains.changes on C", (items) =>
          items.some((change) => change.chainId === unknown && change.type === 'step_started'),
        );
        const listenerAfter = await listenerOf(admin, c);
        expect(listenerAfter.pid).not.toBe(listenerBefore.pid);
        // It listened again only after the held inserts could commit: they were announced in the gap.
        expect(listenerAfter.backendStart.getTime()).toBeGreaterThan(releasedAt?.getTime() ?? Number.POSITIVE_INFINITY);

        for (let release = 0; release < 5; release++) (await held.next()).release();
        await onC.received.receive('the followed chain to finish, seen on C', isFinished);
        expect(idsOf(onC.received.items.map((item) => item.data))).toEqual(await storedIds(followed));
        await changes.received.receive('both chains to finish, seen by chains.changes on C', (items) =>
          [followed, unknown].every((chainId) =>
            items.some((change) => change.chainId === chainId && change.type === 'chain_finished'),
          ),
        );
        for (const chainId of [followed, unknown]) {
          const seen = changes.received.items
            .filter((item) => item.data.chainId === chainId)
            .map((item) => item.data.eventId);
          expect(seen).toEqual(await storedIds(chainId));
        }
        changes.stop();
      } finally {
        gate = undefined;
        await admin.query('rollback').catch(() => undefined);
        await admin.end();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

/** The listening connection of an instance, found by the application_name it gives it. */
async function listenerOf(admin: pg.Client, instance: Instance): Promise<{ pid: number; backendStart: Date }> {
  const { rows } = await admin.query<{ pid: number; backend_start: Date }>(
    `select pid, backend_start from pg_stat_activity where application_name = $1`,
    [`chainlog server ${instance.id} listener`],
  );
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (!row) throw new Error(`instance ${instance.id} has no listening connection`);
  return { pid: row.pid, backendStart: row.backend_start };
}

/** How many of the instance's statements wait for a lock (read outside any transaction: pg_stat_activity is a snapshot). */
async function insertsWaitingOn(instance: Instance): Promise<number> {
  return withAdminClient(testDatabaseUrl(), async (admin) => {
    const { rows } = await admin.query<{ count: number }>(
      `select count(*)::int as count from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
      [`chainlog server ${instance.id}`],
    );
    return rows[0]?.count ?? 0;
  });
}
