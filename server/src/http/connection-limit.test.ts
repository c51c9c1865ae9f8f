import { type ClientRequest, request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';

const WAIT_MS = 5_000;
const ONE_MIB = 1_048_576;
const MAX_CONNECTIONS = 5;

/** What an upgrade request got: 101 for an open WebSocket (returned with it), or the refusal's HTTP status. */
type Upgrade = { status: 101; socket: WebSocket } | { status: number; body: string };

/**
 * Opens a WebSocket from `from`: every 127.x.y.z is this machine, so each test can be a client address of its own
 * (`headers` are sent with the upgrade request).
 */
function upgrade(url: string, from: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  const socket = new WebSocket(url, { headers, localAddress: from });
  return within(
    new Promise<Upgrade>((resolve, reject) => {
      socket.once('open', () => resolve({ status: 101, socket }));
      socket.once('unexpected-response', (request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.once('end', () => {
          resolve({ status: response.statusCode ?? 0, body });
          request.destroy();
        });
      });
      socket.once('error', reject);
    }),
    WAIT_MS,
    'the WebSocket upgrade',
  );
}

async function open(url: string, from = '127.0.0.1'): Promise<WebSocket> {
  const answer = await upgrade(url, from);
  if (!('socket' in answer)) throw new Error(`the upgrade was refused with ${answer.status}`);
  return answer.socket;
}

function closeOf(socket: WebSocket): Promise<number> {
  return within(
    new Promise<number>((resolve) => socket.once('close', (code) => resolve(code))),
    WAIT_MS,
    'the WebSocket to close',
  );
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return within(
    new Promise<unknown>((resolve) =>
      socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')))),
    ),
    WAIT_MS,
    'a WebSocket message',
  );
}

describe('the WebSocket bounds', () => {
  let running: RunningServer;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    // The message bound at its default; few connections per address, so reaching that bound is quick.
    running = await startRunningServer({ limits: { maxConnectionsPerAddress: MAX_CONNECTIONS } });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => running.close());

  it('answers a message of exactly 1 MiB (the default) and closes the socket with 1009 on a message one byte longer', async () => {
    const socket = await open(running.wsUrl);
    sockets.push(socket);
    const request = JSON.stringify({ id: 1, method: 'query', params: { path: 'health', input: null } });

    const answer = nextMessage(socket);
    socket.send(request + ' '.repeat(ONE_MIB - request.length));
    expect(await answer).toMatchObject({ id: 1, result: { type: 'data', data: { status: 'ok' } } });

    const closed = closeOf(socket);
    socket.send('x'.repeat(ONE_MIB + 1));
    expect(await closed).toBe(1009);
  });

  it('refuses the upgrade past the limit with 429, ignoring an untrusted X-Forwarded-For, while other addresses get in', async () => {
    const client = '127.0.0.2';
    sockets.push(...(await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(running.wsUrl, client)))));

    const refused = await upgrade(running.wsUrl, client);
    expect(refused.status).toBe(429);
    // tRPC's error shape, as an SSE stream past the limit gets.
    expect('body' in refused && JSON.parse(refused.body)).toMatchObject({
      error: { message: expect.stringContaining(`at most ${MAX_CONNECTIONS}`), data: { code: 'TOO_MANY_REQUESTS' } },
    });
    // CHAINLOG_TRUST_PROXY is off: a header the client wrote does not make it another client.
    expect((await upgrade(running.wsUrl, client, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    const other = await upgrade(running.wsUrl, '127.0.0.3');
    expect(other.status).toBe(101);
    if ('socket' in other) sockets.push(other.socket);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it('takes a connection again once one of the address closes', async () => {
    const client = '127.0.0.4';
    sockets.push(...(await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(running.wsUrl, client)))));
    expect((await upgrade(running.wsUrl, client)).status).toBe(429);

    const first = sockets.shift();
    if (!first) throw new Error('no socket to close');
    const closed = closeOf(first);
    first.close();
    await closed;

    // The server counts the connection out when its side of the socket closes, which can come a moment after the
    // client's: each attempt is a full round trip, and a slot that never came back would fail them all.
    let answer = await upgrade(running.wsUrl, client);
    for (let attempt = 1; attempt < 20 && answer.status !== 101; attempt++)
      answer = await upgrade(running.wsUrl, client);
    expect(answer.status).toBe(101);
    if ('socket' in answer) sockets.push(answer.socket);
  });
});

/** An SSE subscription (what httpSubscriptionLink opens) from `from`: its status, and a way to end it from the client. */
interface Stream {
  status: number;
  body: string;
  end(): void;
}

function openStream(baseUrl: string, from: string): Promise<Stream> {
  const { hostname, port } = new URL(baseUrl);
  let request: ClientRequest | undefined;
  return within(
    new Promise<Stream>((resolve, reject) => {
      request = httpRequest(
        {
          host: hostname,
          port,
          path: '/trpc/chains.changes',
          localAddress: from,
          headers: { accept: 'text/event-stream' },
        },
        (response) => {
          const stream: Stream = { status: response.statusCode ?? 0, body: '', end: () => request?.destroy() };
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            stream.body += chunk;
          });
          // A refusal is a short body: wait for all of it. A stream answers at once and stays open.
          if (stream.status === 200) resolve(stream);
          else response.on('end', () => resolve(stream));
          response.on('error', () => undefined);
        },
      );
      request.on('error', reject);
      request.end();
    }),
    WAIT_MS,
    'the SSE subscription to answer',
  );
}

describe('the SSE subscriptions per address bound', () => {
  let running: RunningServer;
  const streams: Stream[] = [];
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    running = await startRunningServer({ limits: { maxConnectionsPerAddress: MAX_CONNECTIONS } });
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.end();
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => running.close());

  it('answers one stream past CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS with 429 TOO_MANY_REQUESTS, while other addresses get in', async () => {
    const client = '127.0.0.5';
    streams.push(
      ...(await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => openStream(running.url, client)))),
    );
    expect(streams.map((stream) => stream.status)).toEqual(Array.from({ length: MAX_CONNECTIONS }, () => 200));

    const refused = await openStream(running.url, client);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('TOO_MANY_REQUESTS');
    // Streams and WebSockets are the address's long-lived connections together.
    expect((await upgrade(running.wsUrl, client)).status).toBe(429);
    const other = await openStream(running.url, '127.0.0.6');
    streams.push(other);
    expect(other.status).toBe(200);
  });

  it('takes a stream again once one of the address ends', async () => {
    const client = '127.0.0.7';
    streams.push(
      ...(await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => openStream(running.url, client)))),
    );
    expect((await openStream(running.url, client)).status).toBe(429);

    streams.shift()?.end();

    // The server gives the slot back when it sees the stream's connection close, a moment after the client ends it.
    let answer = await openStream(running.url, client);
    for (let attempt = 1; attempt < 20 && answer.status !== 200; attempt++)
      answer = await openStream(running.url, client);
    streams.push(answer);
    expect(answer.status).toBe(200);
  });
});
