import { type EventEmitter, once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type FakeProvider, startFakeProvider } from '../test/fake-provider.js';
import { chainRows, onlyRow, rejectionOf, within } from '../test/llm-harness.js';
import { sendRawUpgrade } from '../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../test/running-server.js';
import { openTestDatabase } from '../test/test-database.js';
import type { DatabaseHandle } from './db/client.js';
import { findLog } from './db/queries/inference-log.js';
import { newChainId } from './llm/chain-context.js';
import { AbortedError } from './llm/errors/index.js';
import type { AppRouter } from './routers/app.js';
import { TASKS } from './tasks/index.js';

// Node 20 has no global WebSocket, so the tRPC client gets the ws class. Its type lacks the DOM-only dispatchEvent that
// the option's type (the global WebSocket of @types/node) names, though tRPC never calls it: widened here, once.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

const EXPECTED_DATABASE = process.env.CHAINLOG_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
const ORDER_MESSAGE = {
  from: 'ada@example.com',
  subject: 'Order 1042',
  body: 'Where is my order? It has not arrived yet.',
};

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The arguments of the next `name` event; rejects after `timeoutMs`. Marked handled at once, so a test that fails
 * before awaiting it reports its own failure rather than a stray rejection.
 */
function nextEvent(emitter: EventEmitter, name: string, timeoutMs: number): Promise<unknown[]> {
  const event = once(emitter, name, { signal: AbortSignal.timeout(timeoutMs) });
  event.catch(() => undefined);
  return event;
}

/** A GET with the path sent exactly as written: fetch() would resolve `..` segments before sending. */
function rawGet(baseUrl: string, rawPath: string): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path: rawPath, method: 'GET', timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${rawPath} timed out`)));
    request.on('error', reject);
    request.end();
  });
}

describe('the server over HTTP and WebSocket on one port', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startRunningServer();
  });
  afterAll(() => running.close());

  it('answers GET /healthz with 200 JSON naming the database kind', async () => {
    const response = await fetch(`${running.url}/healthz`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ status: 'ok', database: EXPECTED_DATABASE });
  });

  it('answers an unknown path with 404 JSON naming the path', async () => {
    const response = await fetch(`${running.url}/no/such/page`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: expect.stringContaining('/no/such/page') });
  });

  it('serves the health query to a typed client over HTTP batching', async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${running.url}/trpc` })] });

    const health = await client.health.query();

    expect(health).toMatchObject({ status: 'ok', database: EXPECTED_DATABASE, tasks: TASKS.map((task) => task.name) });
  });

  it.each(['//', '//%ff', '/\\'])(
    'refuses a WebSocket upgrade to %s, a URL tRPC cannot read, with 400 and keeps serving',
    async (target) => {
      expect(await sendRawUpgrade(running.url, target)).toBe(400);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    },
  );

  it('opens a WebSocket whose path is odd but readable (/%ff, /trpc//x, /\\x)', async () => {
    expect(await sendRawUpgrade(running.url, '/%ff')).toBe(101);
    expect(await sendRawUpgrade(running.url, '/trpc//x')).toBe(101);
    // URL reads it as //x, the host x: tRPC only reads its query, so the socket opens.
    expect(await sendRawUpgrade(running.url, '/\\x')).toBe(101);
  });

  it('serves the health query to a typed client over a WebSocket on the same port', async () => {
    expect(new URL(running.wsUrl).port).toBe(new URL(running.url).port);
    const wsClient = createWSClient({ url: running.wsUrl, WebSocket: NodeWebSocket });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      const health = await client.health.query();

      expect(health).toMatchObject({
        status: 'ok',
        database: EXPECTED_DATABASE,
        tasks: TASKS.map((task) => task.name),
      });
    } finally {
      await wsClient.close();
    }
  });
});

describe('the server with a built client', () => {
  let tempRoot: string;
  let running: RunningServer;
  beforeAll(async () => {
    // tempRoot/secret.txt sits beside the client folder: nothing under tempRoot/dist may reach it.
    tempRoot = mkdtempSync(path.join(tmpdir(), 'chainlog-client-'));
    const clientDir = path.join(tempRoot, 'dist');
    mkdirSync(path.join(clientDir, 'assets'), { recursive: true });
    writeFileSync(path.join(clientDir, 'index.html'), '<!doctype html><title>Chainlog shell</title>');
    writeFileSync(path.join(clientDir, 'assets', 'app-1234.js'), 'console.log("chainlog");');
    writeFileSync(path.join(tempRoot, 'secret.txt'), 'outside the client folder');
    // A file that checks out as one but fails to read (reading /proc/self/mem at offset 0 is EIO).
    symlinkSync('/proc/self/mem', path.join(clientDir, 'assets', 'unreadable.js'));
    running = await startRunningServer({ clientDir });
  });
  afterAll(async () => {
    await running.close();
    rmSync(tempRoot, { recursive: true, force: true });
  });

  it('serves index.html at / and, for client-side routing, at any other page path', async () => {
    for (const page of ['/', '/some/route']) {
      const response = await fetch(`${running.url}${page}`);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toContain('<title>Chainlog shell</title>');
    }
  });

  it('serves an asset with its content type', async () => {
    const response = await fetch(`${running.url}/assets/app-1234.js`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toBe('console.log("chainlog");');
  });

  it('keeps /healthz and /trpc ahead of the client files', async () => {
    const health = await fetch(`${running.url}/healthz`);
    const procedure = await fetch(`${running.url}/trpc/health`);

    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect(await procedure.json()).toMatchObject({ result: { data: { status: 'ok' } } });
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/../../package.json',
  ])('does not let %s escape the client folder', async (rawPath) => {
    const response = await rawGet(running.url, rawPath);

    expect(response.body).not.toContain('outside the client folder');
    expect(response.body).not.toContain('"workspaces"');
    expect(response.body).toContain('<title>Chainlog shell</title>');
  });

  it('answers 500 JSON for a file that fails to read instead of crashing, and keeps serving', async () => {
    // The file is read for its ETag before the status line goes out, so the failure can still be told as such.
    const response = await rawGet(running.url, '/assets/unreadable.js');

    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it.each(['//', '//x', '//%ff', '/\\', '/\\x'])(
    'answers %s, a path with an empty first segment, with 404 JSON instead of crashing, and keeps serving',
    async (rawPath) => {
      const response = await rawGet(running.url, rawPath);

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    },
  );

  it('answers a malformed percent-encoding with 404 JSON instead of crashing, and keeps serving', async () => {
    const response = await rawGet(running.url, '/%E0%A4%A');

    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });
});

const SHUTDOWN_MESSAGE = {
  from: 'grace@example.com',
  subject: 'Order 2051',
  body: 'Where is my order? It has not arrived yet.',
};

describe('closing the server', () => {
  let fake: FakeProvider;
  let database: DatabaseHandle;
  let running: RunningServer | undefined;
  beforeAll(async () => {
    fake = await startFakeProvider();
    database = await openTestDatabase();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
    await database.close();
  });

  it('lets an ask in flight finish with a complete ok row, refuses new connections and closes WebSocket clients', async () => {
    const server = await startRunningServer({ fakeProvider: fake, database });
    running = server;
    const answer = {
      intent: 'order_status',
      confidence: 0.93,
      urgency: 'normal',
      rationale: 'The sender asks where the order is.',
    };
    fake.enqueue({ kind: 'json', value: answer, delayMs: 300 });
    const socket = new WebSocket(server.wsUrl);
    await nextEvent(socket, 'open', 5_000);
    const socketClosed = nextEvent(socket, 'close', 10_000);

    const events: string[] = [];
    const ask = server.dependencies.llm.ask('intent recognition', ORDER_MESSAGE);
    void ask.then(
      () => events.push('ask settled'),
      () => events.push('ask settled'),
    );
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { timeout: 5_000 });
    expect(server.dependencies.llm.inFlight()).toBe(1);

    const closing = server.close(5_000).then(() => events.push('server closed'));
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const result = await ask;
    await closing;

    expect(events).toEqual(['ask settled', 'server closed']);
    expect(result.output).toEqual(answer);
    expect(fake.requests[0]?.body).toMatchObject({
      model: 'gpt-4.1-mini',
      response_format: { type: 'json_schema', json_schema: { strict: true } },
    });
    const row = await findLog(database.db, result.logId);
    expect(row).toMatchObject({
      status: 'ok',
      chain_id: result.chainId,
      name: 'intent recognition',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      output: answer,
      error: null,
      provider_request_id: expect.stringMatching(/^req_fake_\d+$/),
    });
    expect(row?.finished_at).toBeInstanceOf(Date);
    expect(row?.input_tokens).toBeGreaterThan(0);
    expect(row?.latency_ms).toBeGreaterThanOrEqual(250);
    const [code] = await socketClosed;
    expect(code).toBe(1001);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('ends a WebSocket client that never answers the close frame once the timeout has passed', {
    timeout: 15_000,
  }, async () => {
    const server = await startRunningServer({ database });
    running = server;
    // A bare upgrade, so nothing answers the server's close frame (the ws package would answer it).
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [handshake] = await nextEvent(socket, 'data', 5_000);
    expect(String(handshake)).toMatch(/^HTTP\/1\.1 101/);
    const socketClosed = nextEvent(socket, 'close', 10_000);
    const startedAt = performance.now();

    await server.close(200);
    await socketClosed;

    // Without terminating it, the server would wait for ws's own 30 s close timeout.
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('aborts the call once the drain time is up: close resolves promptly, the ask rejects with AbortedError and its row is an error', async () => {
    const server = await startRunningServer({ fakeProvider: fake, database });
    running = server;
    fake.respondWith(() => ({ kind: 'hang' }));
    const chainId = newChainId();

    const aborted = rejectionOf(
      server.dependencies.llm.ask('intent recognition', SHUTDOWN_MESSAGE, { chainId }),
      AbortedError,
    );
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { timeout: 5_000 });
    expect(server.dependencies.llm.inFlight()).toBe(1);

    // 300 ms to drain, then the aborted call gets its grace to write its row: well under the bound.
    await within(server.close(300), 5_000, 'the server closing');
    const error = await within(aborted, 1_000, 'the ask rejecting');

    expect(server.dependencies.llm.inFlight()).toBe(0);
    const row = onlyRow(await chainRows(database.db, chainId));
    expect(row).toMatchObject({
      id: error.logId,
      name: 'intent recognition',
      status: 'error',
      error: { class: 'AbortedError', code: 'aborted' },
    });
    expect(row.finished_at).toBeInstanceOf(Date);
  });
});
