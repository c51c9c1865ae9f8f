import {
  type TRPCClient,
  TRPCClientError,
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  wsLink,
} from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { eventSequence, followChain } from '../../test/follow-chain.js';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { ReplyGate, triageReply } from '../../test/triage-replies.js';
import { INTERRUPTED, chainFinished, recordChainEvent } from '../chains/chain-events.js';
import { finishChain, insertChain, listChainEventsAfter } from '../db/queries/chains.js';
import { listChainLogs } from '../db/queries/inference-log.js';
import { newChainId } from '../llm/chain-context.js';
import type { AppRouter } from './app.js';

type ChainChange =
  inferRouterOutputs<AppRouter>['chains']['changes'] extends AsyncIterable<infer Change> ? Change : never;

// Node 20 has no global WebSocket, so the tRPC client gets the ws class. Its type lacks the DOM-only dispatchEvent that
// the option's type (the global WebSocket of @types/node) names, though tRPC never calls it: widened here, once.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A chain event as a client receives it (serialized: JSON leaves `output` optional), as the browser client types it. */
type ChainEvent = RouterOutputs['chains']['events'] extends AsyncIterable<{ data: infer Event }> ? Event : never;

const ORDER_MESSAGE = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Hi, where is my order #A-1042? It has not arrived yet.\n\nThanks,\nAda',
};
const FULL_SEQUENCE = [
  'chain_started',
  'step_started 1',
  'step_finished 1',
  'step_started 2',
  'step_finished 2',
  'step_started 3',
  'step_finished 3',
  'chain_finished',
];
const WAIT_MS = 5_000;

/** A typed client like the browser's: queries and mutations over HTTP batching, subscriptions over one WebSocket. */
function connect(running: RunningServer): { client: TRPCClient<AppRouter>; close(): Promise<void> } {
  const wsClient = createWSClient({ url: running.wsUrl, WebSocket: NodeWebSocket });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: `${running.url}/trpc` }),
      }),
    ],
  });
  return { client, close: () => wsClient.close() };
}

/** What one subscription delivered, with promises for what a test waits on; every wait is bounded. */
class Received {
  readonly events: ChainEvent[] = [];
  /** The tracked ids as the client saw them (the resume points). */
  readonly trackedIds: string[] = [];
  readonly errors: unknown[] = [];
  private readonly waiters: { until: (events: readonly ChainEvent[]) => boolean; resolve: () => void }[] = [];
  private started: () => void = () => undefined;
  private completed: () => void = () => undefined;
  private readonly startedPromise = new Promise<void>((resolve) => {
    this.started = resolve;
  });
  private readonly completedPromise = new Promise<void>((resolve) => {
    this.completed = resolve;
  });

  /** The observer for `subscribe(input, observer)` of a tracked subscription. */
  readonly tracked = {
    onStarted: () => this.started(),
    onData: ({ id, data }: { id: string; data: ChainEvent }) => {
      this.trackedIds.push(id);
      this.push(data);
    },
    onError: (error: unknown) => {
      this.errors.push(error);
      this.completed();
    },
    onComplete: () => this.completed(),
  };

  ids(): string[] {
    return this.events.map((event) => event.id);
  }

  hasStarted(): Promise<void> {
    return within(this.startedPromise, WAIT_MS, 'the subscription to start');
  }

  hasCompleted(): Promise<void> {
    return within(this.completedPromise, WAIT_MS, 'the subscription to complete');
  }

  /** Resolves once the events received so far satisfy `until`. */
  receive(what: string, until: (events: readonly ChainEvent[]) => boolean): Promise<void> {
    if (until(this.events)) return Promise.resolve();
    return within(new Promise<void>((resolve) => this.waiters.push({ until, resolve })), WAIT_MS, what);
  }

  private push(event: ChainEvent): void {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (!waiter.until(this.events)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

const hasEvent = (sequenceEntry: string) => (events: readonly ChainEvent[]) =>
  eventSequence(events).includes(sequenceEntry);

describe('chain events over a WebSocket', () => {
  let fake: FakeProvider;
  let running: RunningServer;
  const clients: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider();
    // Every demo task defaults to openai:gpt-4.1-mini, so the fake answers every step.
    running = await startRunningServer({ fakeProvider: fake });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    fake.reset();
  });
  afterAll(async () => {
    await running.close();
    await fake.close();
  });

  function connectClient(): TRPCClient<AppRouter> {
    const connection = connect(running);
    clients.push(connection);
    return connection.client;
  }

  async function storedEventIds(chainId: string): Promise<string[]> {
    const rows = await listChainEventsAfter(running.dependencies.db, chainId, null);
    // int8 reads back as a string on pg, a number on PGlite.
    return rows.map((row) => String(row.id));
  }

  it('resumes from lastEventId after a disconnect mid-chain: every stored event arrives exactly once, in order', async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const first = connect(running);
    clients.push(first);
    const { chainId } = await first.client.inbox.submit.mutate(ORDER_MESSAGE);
    const before = new Received();
    first.client.chains.events.subscribe({ chainId }, before.tracked);

    const intentCall = await gate.next();
    await before.receive('step_started 1', hasEvent('step_started 1'));
    intentCall.release();
    const entityCall = await gate.next();
    await before.receive('step_started 2', hasEvent('step_started 2'));
    await first.close();

    // Step 2 finishes and step 3 starts while nobody listens.
    entityCall.release();
    const replyCall = await gate.next();
    const after = new Received();
    const resumeFrom = before.trackedIds.at(-1);
    connectClient().chains.events.subscribe({ chainId, lastEventId: resumeFrom }, after.tracked);
    await after.receive('the missed step_started 3', hasEvent('step_started 3'));
    replyCall.release();
    await after.hasCompleted();

    expect(eventSequence(before.events)).toEqual(FULL_SEQUENCE.slice(0, 4));
    expect(eventSequence(after.events)).toEqual(FULL_SEQUENCE.slice(4));
    expect(after.errors).toEqual([]);
    const received = [...before.trackedIds, ...after.trackedIds];
    expect(received).toEqual([...before.ids(), ...after.ids()]);
    expect(received).toEqual(await storedEventIds(chainId));
    expect(new Set(received).size).toBe(received.length);
    for (let index = 1; index < received.length; index++)
      expect(BigInt(received[index] ?? 0) > BigInt(received[index - 1] ?? 0)).toBe(true);
  });

  it('follows a running chain named by its id in upper case, live events included, to its end', async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const client = connectClient();
    const { chainId } = await client.inbox.submit.mutate(ORDER_MESSAGE);
    const intentCall = await gate.next();

    const upper = new Received();
    client.chains.events.subscribe({ chainId: chainId.toUpperCase() }, upper.tracked);
    await upper.receive('step_started 1', hasEvent('step_started 1'));
    // Everything from here on is live: published while the subscription is open.
    intentCall.release();
    (await gate.next()).release();
    (await gate.next()).release();
    await upper.hasCompleted();

    expect(upper.errors).toEqual([]);
    expect(eventSequence(upper.events)).toEqual(FULL_SEQUENCE);
    expect(upper.trackedIds).toEqual(await storedEventIds(chainId));
  });

  it('sends no event, stored or live, up to a lastEventId past the running chain, and completes with it', async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const client = connectClient();
    const { chainId } = await client.inbox.submit.mutate(ORDER_MESSAGE);
    const intentCall = await gate.next();
    const watching = new Received();
    client.chains.events.subscribe({ chainId }, watching.tracked);
    await watching.receive('step_started 1', hasEvent('step_started 1'));

    const ahead = new Received();
    client.chains.events.subscribe({ chainId, lastEventId: '999999999999' }, ahead.tracked);
    intentCall.release();
    (await gate.next()).release();
    (await gate.next()).release();
    await Promise.all([watching.hasCompleted(), ahead.hasCompleted()]);

    expect(eventSequence(watching.events)).toEqual(FULL_SEQUENCE);
    expect(ahead.events).toEqual([]);
    expect(ahead.errors).toEqual([]);
  });

  it('replays every event of an already finished chain and completes', async () => {
    fake.respondWith(triageReply);
    const client = connectClient();
    const { chainId } = await client.inbox.submit.mutate(ORDER_MESSAGE);
    await followChain(running.dependencies, chainId);

    const replay = new Received();
    client.chains.events.subscribe({ chainId }, replay.tracked);
    await replay.hasCompleted();

    expect(replay.errors).toEqual([]);
    expect(eventSequence(replay.events)).toEqual(FULL_SEQUENCE);
    expect(replay.trackedIds).toEqual(await storedEventIds(chainId));
    expect(replay.events.at(-1)?.payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
  });

  it('completes at once a subscription that resumes from the id of chain_finished', async () => {
    fake.respondWith(triageReply);
    const client = connectClient();
    const { chainId } = await client.inbox.submit.mutate(ORDER_MESSAGE);
    const events = await followChain(running.dependencies, chainId);

    const resumed = new Received();
    client.chains.events.subscribe({ chainId, lastEventId: events.at(-1)?.id }, resumed.tracked);
    await resumed.hasCompleted();

    expect(resumed.events).toEqual([]);
    expect(resumed.errors).toEqual([]);
  });

  it('replays the events of a chain a restart interrupted, ending with the chain_finished the restart wrote', async () => {
    const { db, bus } = running.dependencies;
    const chainId = newChainId();
    await insertChain(db, {
      id: chainId,
      name: 'support-inbox triage',
      status: 'running',
      input: JSON.stringify(ORDER_MESSAGE),
    });
    await recordChainEvent(db, bus, chainId, { type: 'chain_started' });
    await recordChainEvent(db, bus, chainId, { type: 'step_started', step: 1, name: 'intent recognition' });
    // What the instance sweep does at start-up to a chain a dead process left running.
    await finishChain(db, chainId, chainFinished('interrupted', INTERRUPTED));

    const replay = new Received();
    connectClient().chains.events.subscribe({ chainId }, replay.tracked);
    await replay.hasCompleted();

    expect(eventSequence(replay.events)).toEqual(['chain_started', 'step_started 1', 'chain_finished']);
    expect(replay.errors).toEqual([]);
  });

  it('tells a chains.changes subscriber of each event of a chain submitted after it subscribed, as a summary', async () => {
    fake.respondWith(triageReply);
    const client = connectClient();
    const changes: ChainChange[] = [];
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const subscription = client.chains.changes.subscribe(undefined, {
      onStarted: markStarted,
      onData: (change) => changes.push(change),
    });
    await within(started, WAIT_MS, 'the changes subscription to start');

    const { chainId } = await client.inbox.submit.mutate(ORDER_MESSAGE);
    await expect
      .poll(() => changes.some((change) => change.chainId === chainId && change.type === 'chain_finished'), {
        timeout: WAIT_MS,
      })
      .toBe(true);
    subscription.unsubscribe();

    const ours = changes.filter((change) => change.chainId === chainId);
    expect(ours.map((change) => change.type)).toEqual(FULL_SEQUENCE.map((entry) => entry.split(' ')[0]));
    expect(ours.map((change) => change.eventId)).toEqual(await storedEventIds(chainId));
    const noStep = { name: null, logId: null, provider: null, model: null };
    expect(ours.at(-1)).toEqual({
      eventId: expect.any(String),
      chainId,
      type: 'chain_finished',
      status: 'succeeded',
      ...noStep,
    });
    expect(ours[0]).toEqual({ eventId: expect.any(String), chainId, type: 'chain_started', status: null, ...noStep });
    // A step's end names its task, what answered and its log row, so a page can tell whether it shows any of them.
    const rows = await listChainLogs(running.dependencies.db, chainId);
    expect(ours.filter((change) => change.type === 'step_finished')).toEqual(
      rows.map((row) => ({
        eventId: expect.any(String),
        chainId,
        type: 'step_finished',
        status: null,
        name: row.name,
        logId: row.id,
        provider: row.provider,
        model: row.model,
      })),
    );
    expect(ours.find((change) => change.type === 'step_started')).toMatchObject({ name: rows[0]?.name, logId: null });
  });

  it('answers a subscription to an unknown chain with NOT_FOUND and a malformed lastEventId with BAD_REQUEST', async () => {
    const client = connectClient();
    const unknown = new Received();
    const malformed = new Received();

    client.chains.events.subscribe({ chainId: '01a2128a-0000-7000-8000-000000000000' }, unknown.tracked);
    client.chains.events.subscribe(
      { chainId: '01a2128a-0000-7000-8000-000000000000', lastEventId: 'latest' },
      malformed.tracked,
    );
    await Promise.all([unknown.hasCompleted(), malformed.hasCompleted()]);

    expect(unknown.errors).toEqual([expect.any(TRPCClientError)]);
    expect(unknown.errors[0]).toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringContaining('01a2128a-0000-7000-8000-000000000000'),
    });
    expect(malformed.errors[0]).toMatchObject({
      data: { code: 'BAD_REQUEST', issues: [expect.objectContaining({ path: ['lastEventId'] })] },
    });
  });
});
