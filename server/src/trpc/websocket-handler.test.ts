import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { followChain } from '../../test/follow-chain.js';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { ReplyGate, triageReply } from '../../test/triage-replies.js';
import { DEFAULT_LIMITS } from '../http/limits.js';
import { appRouter, createCaller } from '../routers/app.js';
import { createContextFactory, createInnerContext } from './context.js';
import { sharedValueEncoder } from './shared-encoding.js';
import { applyWebSocketHandler } from './websocket-handler.js';

const WAIT_MS = 5_000;
const MESSAGE = { from: 'ada@example.com', subject: 'Where is my order?', body: 'Order A-1042 has not arrived yet.' };
const UNKNOWN_CHAIN_ID = '01a2128a-0000-7000-8000-000000000000';

interface Answer {
  id: unknown;
  result?: { type: string; id?: string };
  error?: { data?: { code?: string } };
}

/** A WebSocket speaking tRPC's messages by hand, keeping every frame it is sent as text. */
class RawClient {
  readonly frames: string[] = [];
  private readonly waiters: { done: () => boolean; resolve: () => void }[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(String(data));
      for (const waiter of [...this.waiters]) {
        if (!waiter.done()) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  static async open(url: string): Promise<RawClient> {
    const socket = new WebSocket(url);
    await within(once(socket, 'open'), WAIT_MS, 'the socket to open');
    return new RawClient(socket);
  }

  send(message: unknown): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string): void {
    this.socket.send(text);
  }

  /** The frames answering request `id`, in the order they came. */
  framesOf(id: number): string[] {
    return this.frames.filter((frame) => (JSON.parse(frame) as Answer).id === id);
  }

  answersOf(id: number): Answer[] {
    return this.framesOf(id).map((frame) => JSON.parse(frame) as Answer);
  }

  /** Whether request `id` got its last answer: a result of a query, `stopped`, or an error before `started`. */
  isSettled(id: number): boolean {
    const answers = this.answersOf(id);
    const started = answers.some((answer) => answer.result?.type === 'started');
    return answers.some(
      (answer) =>
        answer.result?.type === 'stopped' ||
        (!started && (answer.error !== undefined || answer.result?.type === 'data')),
    );
  }

  until(what: string, done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return within(new Promise<void>((resolve) => this.waiters.push({ done, resolve })), WAIT_MS, what);
  }

  settled(...ids: number[]): Promise<void> {
    return this.until(`answers to ${ids.join(', ')}`, () => ids.every((id) => this.isSettled(id)));
  }

  /** Reads nothing more from the socket until resume(): what the server sends waits in the buffers. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async closed(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) await within(once(this.socket, 'close'), WAIT_MS, 'the close');
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = once(this.socket, 'close');
    this.socket.close();
    await closed;
  }
}

/** Polls `condition` until it holds, within WAIT_MS. */
async function eventually(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function subscribeEvents(id: number, input: unknown, lastEventId?: string): Record<string, unknown> {
  return { id, method: 'subscription', params: { path: 'chains.events', input, lastEventId } };
}

describe('chains.events pushed on the WebSocket that tRPC serves', () => {
  let fake: FakeProvider;
  let running: RunningServer;
  const listening: WebSocketServer[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider();
    running = await startRunningServer({ fakeProvider: fake });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(listening.splice(0).map((wss) => new Promise<void>((resolve) => wss.close(() => resolve()))));
    fake.reset();
  });
  afterAll(async () => {
    await running.close();
    await fake.close();
  });

  /**
   * A WebSocket server over the running server's dependencies: with `pushedPaths` empty it is tRPC's adapter alone
   * (every message goes to it), the reference the pushed subscriptions are held to.
   */
  async function serve(
    pushedPaths: string[],
    maxSubscriptionsPerConnection = 100,
    maxBufferedBytes = DEFAULT_LIMITS.maxWsBufferedBytes,
  ): Promise<{ url: string; sockets(): number; pushedSubscriptions(): number }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    listening.push(wss);
    await once(wss, 'listening');
    const handler = applyWebSocketHandler({
      wss,
      router: appRouter,
      createContext: createContextFactory(running.dependencies, { ...DEFAULT_LIMITS, maxSubscriptionsPerConnection }),
      onError: () => undefined,
      encoder: sharedValueEncoder,
      pushedPaths,
      maxBufferedBytes,
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    return { ...handler, url, sockets: () => wss.clients.size };
  }

  async function connect(server: { url: string }): Promise<RawClient> {
    const client = await RawClient.open(server.url);
    clients.push(client);
    return client;
  }

  function submit(): Promise<{ chainId: string }> {
    return createCaller(createInnerContext(running.dependencies)).inbox.submit(MESSAGE);
  }

  it("answers as tRPC's own adapter does, frame for frame: a replay, a resume from lastEventId, an unknown chain, bad input, and a query batched with a subscription", async () => {
    fake.respondWith(triageReply);
    const { chainId } = await submit();
    const events = await followChain(running.dependencies, chainId);
    const script: unknown[] = [
      [subscribeEvents(1, { chainId }), { id: 2, method: 'query', params: { path: 'chains.get', input: { chainId } } }],
      { ...subscribeEvents(3, { chainId }, events[3]?.id), jsonrpc: '2.0' },
      subscribeEvents(4, { chainId: UNKNOWN_CHAIN_ID }),
      subscribeEvents(5, { chainId, lastEventId: 'latest' }),
      subscribeEvents(6, 'not an object', events[0]?.id),
    ];
    const ids = [1, 2, 3, 4, 5, 6];

    const play = async (server: { url: string }) => {
      const client = await connect(server);
      for (const message of script) client.send(message);
      await client.settled(...ids);
      return client;
    };
    const trpcAlone = await play(await serve([]));
    const pushed = await play(await serve(['chains.events']));

    for (const id of ids) expect(pushed.framesOf(id), `the answers to ${id}`).toEqual(trpcAlone.framesOf(id));
    const replayed = pushed.answersOf(1);
    expect(replayed.map((answer) => answer.result?.type)).toEqual(['started', ...events.map(() => 'data'), 'stopped']);
    expect(replayed.flatMap((answer) => answer.result?.id ?? [])).toEqual(events.map((event) => event.id));
    expect(pushed.answersOf(3).flatMap((answer) => answer.result?.id ?? [])).toEqual(
      events.slice(4).map((event) => event.id),
    );
    expect(pushed.answersOf(4).map((answer) => answer.result?.type ?? answer.error?.data?.code)).toEqual([
      'started',
      'NOT_FOUND',
      'stopped',
    ]);
    for (const id of [5, 6])
      expect(pushed.answersOf(id).map((answer) => answer.error?.data?.code)).toEqual(['BAD_REQUEST']);
  });

  it("pushes a running chain's events as they are stored, in order, each once, frame for frame as tRPC's adapter sends them", async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const { chainId } = await submit();
    const firstCall = await gate.next();
    const servers = [await serve([]), await serve(['chains.events'])];
    const pair = await Promise.all(servers.map(connect));
    for (const client of pair) client.send(subscribeEvents(1, { chainId }));
    // chain_started and step_started 1 are stored: replayed, then the rest live.
    for (const client of pair)
      await client.until(
        'the stored events',
        () => client.answersOf(1).filter((answer) => answer.result?.id).length >= 2,
      );

    // Served by tRPC's adapter on one, pushed on the other.
    expect(servers.map((server) => server.pushedSubscriptions())).toEqual([0, 1]);

    firstCall.release();
    (await gate.next()).release();
    (await gate.next()).release();
    for (const client of pair) await client.settled(1);
    expect(servers.map((server) => server.pushedSubscriptions())).toEqual([0, 0]);

    const [trpcAlone, pushed] = pair;
    expect(pushed?.framesOf(1)).toEqual(trpcAlone?.framesOf(1));
    const stored = await followChain(running.dependencies, chainId);
    expect(pushed?.answersOf(1).flatMap((answer) => answer.result?.id ?? [])).toEqual(stored.map((event) => event.id));
  });

  it('gives tRPC a frame whose other messages nest too deep to encode again, and lives on', async () => {
    const server = await serve(['chains.events']);
    const client = await connect(server);
    // JSON.parse takes this; JSON.stringify of what it parsed recurses past the stack.
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    client.sendText(
      `[${JSON.stringify(subscribeEvents(1, { chainId: UNKNOWN_CHAIN_ID }))},` +
        `{"id":2,"method":"query","params":{"path":"chains.list","input":${deep}}}]`,
    );
    await client.settled(1, 2);
    expect(client.answersOf(1).map((answer) => answer.error?.data?.code)).toContain('NOT_FOUND');
    expect(client.answersOf(2).map((answer) => answer.error?.data?.code)).toContain('BAD_REQUEST');

    client.send(subscribeEvents(3, { chainId: UNKNOWN_CHAIN_ID }));
    await client.settled(3);
    expect(client.answersOf(3).map((answer) => answer.error?.data?.code)).toContain('NOT_FOUND');
  });

  it('frees a subscriber that is stopped, stopped before it started, or whose socket closes: its chain is left and its slot given back', async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const { chainId } = await submit();
    const heldCall = await gate.next();
    const { chainEvents } = running.dependencies;
    // One subscription per connection: each one below starts only if the one before gave its slot back.
    const server = await serve(['chains.events'], 1);
    const client = await connect(server);
    const hasData = (id: number) => () => client.answersOf(id).some((answer) => answer.result?.type === 'data');

    client.send(subscribeEvents(1, { chainId }));
    await client.until('the first events', hasData(1));
    expect(chainEvents.followedCount()).toBe(1);
    client.send({ id: 1, method: 'subscription.stop' });
    await client.settled(1);
    expect(chainEvents.followedCount()).toBe(0);

    // Stopped in the frame that asked for it, before the procedure answered: it never starts.
    client.send([subscribeEvents(2, { chainId }), { id: 2, method: 'subscription.stop' }]);
    await client.settled(2);
    expect(client.answersOf(2)).toEqual([{ id: 2, result: { type: 'stopped' } }]);

    client.send(subscribeEvents(3, { chainId }));
    await client.until('the events of the third subscription', hasData(3));
    expect(chainEvents.followedCount()).toBe(1);
    await client.close();
    await eventually('the chain to be left', () => chainEvents.followedCount() === 0);
    expect(server.pushedSubscriptions()).toBe(0);

    heldCall.release();
    (await gate.next()).release();
    (await gate.next()).release();
    await followChain(running.dependencies, chainId);
  });

  it('drops a socket whose client stops reading once more than maxBufferedBytes wait to be sent, and no socket that reads', async () => {
    fake.respondWith(triageReply);
    const { chainId } = await submit();
    const replay = await followChain(running.dependencies, chainId);
    // The bound on subscriptions is not what is tested: replays may pile up.
    const server = await serve(['chains.events'], 1_000_000, 64 * 1024);
    // Replays of the finished chain, 50 in a frame.
    const askReplays = async (client: RawClient, frames: number, stopWhen: () => boolean) => {
      for (let frame = 0; frame < frames && !stopWhen(); frame++) {
        const ids = Array.from({ length: 50 }, (_, index) => frame * 50 + index + 1);
        client.send(ids.map((id) => subscribeEvents(id, { chainId })));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    const reading = await connect(server);
    await askReplays(reading, 4, () => false);
    // Each replay: started, its events, stopped.
    await reading.until('200 replays', () => reading.frames.length >= 200 * (replay.length + 2));
    expect(server.sockets()).toBe(1);
    const dataFrames = reading.frames.filter((frame) => (JSON.parse(frame) as Answer).result?.type === 'data');
    expect(dataFrames).toHaveLength(200 * replay.length);
    await reading.close();

    const stalled = await connect(server);
    stalled.pause();
    // About 2.9 KB a replay: 200 frames ask for 29 MB, far more than a paused reader's kernel buffers take.
    await askReplays(stalled, 200, () => server.sockets() === 0);
    await eventually('the stalled socket to be dropped', () => server.sockets() === 0);
    await eventually('its subscriptions to end', () => server.pushedSubscriptions() === 0);
    stalled.resume();
    await stalled.closed();
  });
});
