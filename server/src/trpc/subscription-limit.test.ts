import { type TRPCClient, TRPCClientError, createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { followChain } from '../../test/follow-chain.js';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import type { AppRouter } from '../routers/app.js';

// Node 20 has no global WebSocket, so the tRPC client gets the ws class. Its type lacks the DOM-only dispatchEvent that
// the option's type (the global WebSocket of @types/node) names, though tRPC never calls it: widened here, once.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

const WAIT_MS = 5_000;
const MAX_SUBSCRIPTIONS = 3;
const MESSAGE = { from: 'ada@example.com', subject: 'Order 1042', body: 'Where is my order? It has not arrived yet.' };

/** A promise with its resolve (Node 20 has no Promise.withResolvers). */
function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** How one subscription went, with bounded waits for its start, its end and its data. */
class Subscription {
  readonly chainIds: string[] = [];
  error: unknown = null;
  private readonly started = deferred();
  private readonly ended = deferred();
  private readonly received: { chainId: string; resolve: () => void }[] = [];
  readonly unsubscribe: () => void;

  constructor(subscribe: (observer: Subscription['observer']) => { unsubscribe(): void }) {
    this.unsubscribe = subscribe(this.observer).unsubscribe;
  }

  private get observer() {
    return {
      onStarted: () => this.started.resolve(),
      onData: (change: { chainId: string }) => {
        this.chainIds.push(change.chainId);
        for (const waiter of this.received.filter((entry) => entry.chainId === change.chainId)) waiter.resolve();
      },
      onError: (error: unknown) => {
        this.error = error;
        this.ended.resolve();
      },
      onComplete: () => this.ended.resolve(),
    };
  }

  hasStarted(): Promise<void> {
    return within(this.started.promise, WAIT_MS, 'the subscription to start');
  }

  hasEnded(): Promise<void> {
    return within(this.ended.promise, WAIT_MS, 'the subscription to end');
  }

  /** Resolves once a change of `chainId` arrived. */
  receives(chainId: string): Promise<void> {
    if (this.chainIds.includes(chainId)) return Promise.resolve();
    return within(
      new Promise<void>((resolve) => this.received.push({ chainId, resolve })),
      WAIT_MS,
      `a change of chain ${chainId}`,
    );
  }
}

describe('the subscriptions per connection bound', () => {
  let running: RunningServer;
  const connections: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    running = await startRunningServer({ limits: { maxSubscriptionsPerConnection: MAX_SUBSCRIPTIONS } });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
  });
  afterAll(() => running.close());

  /** A typed client whose every call goes over one WebSocket connection of its own. */
  function connect(): TRPCClient<AppRouter> {
    const wsClient = createWSClient({ url: running.wsUrl, WebSocket: NodeWebSocket });
    connections.push(wsClient);
    return createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  }

  function changes(client: TRPCClient<AppRouter>): Subscription {
    return new Subscription((observer) => client.chains.changes.subscribe(undefined, observer));
  }

  async function fill(client: TRPCClient<AppRouter>, count: number): Promise<Subscription[]> {
    const subscriptions = Array.from({ length: count }, () => changes(client));
    await Promise.all(subscriptions.map((subscription) => subscription.hasStarted()));
    return subscriptions;
  }

  async function expectRefused(subscription: Subscription): Promise<void> {
    await subscription.hasEnded();
    expect(subscription.error).toBeInstanceOf(TRPCClientError);
    expect(subscription.error).toMatchObject({
      message: `a connection may hold at most ${MAX_SUBSCRIPTIONS} subscriptions; stop one before starting another`,
      data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 },
    });
  }

  it('refuses one subscription past the limit with TOO_MANY_REQUESTS while the others go on receiving', async () => {
    const client = connect();
    const open = await fill(client, MAX_SUBSCRIPTIONS);

    await expectRefused(changes(client));

    const { chainId } = await client.inbox.submit.mutate(MESSAGE);
    await Promise.all(open.map((subscription) => subscription.receives(chainId)));
    // The bound is per connection: another connection has slots of its own.
    await fill(connect(), MAX_SUBSCRIPTIONS);
  });

  it('gives the slot back when a subscription is stopped, completes or fails', async () => {
    const client = connect();
    const { chainId: finishedChainId } = await client.inbox.submit.mutate(MESSAGE);
    await followChain(running.dependencies, finishedChainId);
    const [, , stopped] = await fill(client, MAX_SUBSCRIPTIONS);
    if (!stopped) throw new Error('no third subscription');

    stopped.unsubscribe();
    const afterStop = changes(client);
    await afterStop.hasStarted();
    afterStop.unsubscribe();

    // chains.events of a finished chain replays its events and completes.
    const completing = new Subscription((observer) =>
      client.chains.events.subscribe({ chainId: finishedChainId }, { ...observer, onData: () => undefined }),
    );
    await completing.hasEnded();
    expect(completing.error).toBeNull();
    const afterCompletion = changes(client);
    await afterCompletion.hasStarted();
    afterCompletion.unsubscribe();

    const failing = new Subscription((observer) =>
      client.chains.events.subscribe(
        { chainId: '01900000-0000-7000-8000-000000000000' },
        { ...observer, onData: () => undefined },
      ),
    );
    await failing.hasEnded();
    expect(failing.error).toMatchObject({ data: { code: 'NOT_FOUND' } });
    const afterFailure = changes(client);
    await afterFailure.hasStarted();

    await expectRefused(changes(client));
  });
});
