import { UNAUTHORIZED_CLOSE_CODE } from '@chainlog/shared';
import { TRPCClientError, createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openRawSocket, readUntilClosed, sendRaw } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import type { AppRouter } from '../routers/app.js';

// Node 20 has no global WebSocket: the tRPC client gets the ws class (its type lacks the DOM-only dispatchEvent).
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

const TOKEN = 'door-test-token-4f9c2a7e1b';
const MESSAGE = { from: 'ada@example.com', subject: 'Order 1042', body: 'Where is my order? It has not arrived yet.' };
const ALLOWED_ORIGIN = 'https://app.example.com';
const EVIL_ORIGIN = 'https://evil.example';

function httpClient(url: string, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({ url: `${url}/trpc`, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }),
    ],
  });
}

async function chainCount(server: RunningServer): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from chain`.execute(
    server.dependencies.db,
  );
  return rows[0]?.count ?? -1;
}

/** The tRPC error code of a rejected call. */
async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a TRPCClientError, got ${String(error)}`);
  const data: unknown = error.data;
  return typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'string'
    ? data.code
    : undefined;
}

describe('a server with CHAINLOG_TOKEN', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startRunningServer({ env: { CHAINLOG_TOKEN: TOKEN } });
  });
  afterAll(() => server.close());

  it('answers a /trpc request without a token with 401 and a tRPC UNAUTHORIZED body', async () => {
    const response = await sendRaw(server.url, { path: '/trpc/health' });

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(response.body)).toMatchObject({
      error: { code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401 } },
    });
    expect(await codeOf(httpClient(server.url).health.query())).toBe('UNAUTHORIZED');
  });

  it('refuses a wrong token, and starts no chain for a batch of submissions that carries it', async () => {
    const before = await chainCount(server);
    const client = httpClient(server.url, 'not-the-token-at-all');

    const codes = await Promise.all([
      codeOf(client.inbox.submit.mutate(MESSAGE)),
      codeOf(client.inbox.submit.mutate(MESSAGE)),
    ]);

    expect(codes).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    expect(await chainCount(server)).toBe(before);
    const response = await sendRaw(server.url, {
      path: '/trpc/health',
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: { message: 'that token was refused' } });
  });

  it('serves a call that presents the token as a Bearer header', async () => {
    const health = await httpClient(server.url, TOKEN).health.query();

    expect(health.status).toBe('ok');
  });

  it('keeps /healthz open, saying that a token is needed without saying it', async () => {
    const response = await sendRaw(server.url, { path: '/healthz' });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok', auth: 'token' });
    expect(response.body).not.toContain(TOKEN);
  });

  it('sends UNAUTHORIZED on a WebSocket without a token, then closes it with 4401', async () => {
    const outcome = await openRawSocket(server.wsUrl);
    if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);

    const { messages, code } = await readUntilClosed(outcome);

    expect(code).toBe(UNAUTHORIZED_CLOSE_CODE);
    expect(messages.map((message) => JSON.parse(message))).toEqual([
      { id: null, error: expect.objectContaining({ data: expect.objectContaining({ code: 'UNAUTHORIZED' }) }) },
    ]);
  });

  it('closes a WebSocket whose connectionParams carry a wrong token, before it can call anything', async () => {
    const outcome = await openRawSocket(`${server.wsUrl}/?connectionParams=1`);
    if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);
    const socket = outcome.opened;

    socket.send(JSON.stringify({ method: 'connectionParams', data: { token: 'wrong-token-0123456789' } }));
    socket.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'logs.facets', input: undefined } }));
    // A procedure that does not exist (tRPC's NOT_FOUND, before any middleware) and one given bad input: answered
    // alike, so a caller without the token cannot tell which procedures there are.
    socket.send(JSON.stringify({ id: 2, method: 'query', params: { path: 'no.such.procedure', input: undefined } }));
    socket.send(JSON.stringify({ id: 3, method: 'query', params: { path: 'logs.get', input: { id: 'nope' } } }));
    const { messages, code } = await readUntilClosed(outcome);

    expect(code).toBe(UNAUTHORIZED_CLOSE_CODE);
    const answers = messages.map(
      (message) =>
        JSON.parse(message) as {
          id: unknown;
          result?: unknown;
          error?: { message?: string; data?: { code?: string } };
        },
    );
    expect(answers.some((answer) => answer.result !== undefined)).toBe(false);
    const errorOf = (id: number) => answers.find((answer) => answer.id === id)?.error;
    expect([1, 2, 3].map((id) => [errorOf(id)?.data?.code, errorOf(id)?.message])).toEqual(
      [1, 2, 3].map(() => ['UNAUTHORIZED', 'that token was refused']),
    );
  });

  it('answers the first call of a socket whose upgrade carried a wrong token, however late it comes, then closes it', async () => {
    const outcome = await openRawSocket(server.wsUrl, { authorization: 'Bearer wrong-token-0123456789' });
    if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);

    // A round trip slower than the pause after a call: the socket waits for the client's first message.
    await new Promise((resolve) => setTimeout(resolve, 400));
    outcome.opened.send(JSON.stringify({ id: 7, method: 'query', params: { path: 'health', input: undefined } }));
    const { messages, code } = await readUntilClosed(outcome);

    expect(code).toBe(UNAUTHORIZED_CLOSE_CODE);
    const answers = messages.map((message) => JSON.parse(message) as { id: unknown; error?: { data?: unknown } });
    expect(answers).toEqual([
      { id: null, error: expect.objectContaining({ data: expect.objectContaining({ code: 'UNAUTHORIZED' }) }) },
      expect.objectContaining({
        id: 7,
        error: expect.objectContaining({ data: expect.objectContaining({ code: 'UNAUTHORIZED' }) }),
      }),
    ]);
  });

  it("answers each call of a typed client with a refused token UNAUTHORIZED, then tells its onClose (code 4401, how the web app learns it), even one that stops there as the README's does", async () => {
    const closeCodes: number[] = [];
    const wsClient = createWSClient({
      url: server.wsUrl,
      WebSocket: NodeWebSocket,
      connectionParams: { token: 'wrong-token-0123456789' },
      onClose: (cause) => {
        closeCodes.push(cause?.code ?? 0);
        if (cause?.code === UNAUTHORIZED_CLOSE_CODE) void wsClient.close();
      },
    });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const subscription = new Promise<string>((resolve) => {
      client.chains.changes.subscribe(undefined, {
        onData: () => resolve('data'),
        onError: (error) => resolve(`error ${error.data?.code}`),
        onComplete: () => resolve('complete'),
      });
    });
    try {
      const query = await client.health.query().then(
        () => 'answered',
        (error: unknown) => (error instanceof TRPCClientError ? `error ${error.data?.code}` : String(error)),
      );

      expect(query).toBe('error UNAUTHORIZED');
      expect(await subscription).toBe('error UNAUTHORIZED');
      await expect.poll(() => closeCodes[0]).toBe(UNAUTHORIZED_CLOSE_CODE);
    } finally {
      await wsClient.close();
    }
  });

  it('runs a subscription over a WebSocket whose connectionParams carry the token, to the end of a submitted chain', async () => {
    const wsClient = createWSClient({
      url: server.wsUrl,
      WebSocket: NodeWebSocket,
      connectionParams: { token: TOKEN },
    });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      const { chainId } = await httpClient(server.url, TOKEN).inbox.submit.mutate(MESSAGE);
      const types = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const timer = setTimeout(
          () => reject(new Error(`chain not finished within 10 s; saw ${seen.join(', ')}`)),
          10_000,
        );
        const subscription = client.chains.events.subscribe(
          { chainId },
          {
            onData: ({ data }) => seen.push(data.payload.type),
            onError: reject,
            onComplete: () => {
              clearTimeout(timer);
              subscription.unsubscribe();
              resolve(seen);
            },
          },
        );
      });

      expect(types.at(-1)).toBe('chain_finished');
      expect(types).toContain('step_finished');
    } finally {
      await wsClient.close();
    }
  });
});

describe('the Host check (DNS rebinding)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startRunningServer({ env: { CHAINLOG_ALLOWED_HOSTS: 'chainlog.internal' } });
  });
  afterAll(() => server.close());

  it('refuses /trpc and the WebSocket with 421 and a JSON error when the Host is another name', async () => {
    const response = await sendRaw(server.url, { path: '/trpc/health', headers: { host: 'attacker.example:8800' } });
    const upgrade = await openRawSocket(server.wsUrl, { host: 'attacker.example:8800' });

    expect(response.status).toBe(421);
    // In tRPC's shape, so a typed client reads the code and the message.
    expect(JSON.parse(response.body)).toMatchObject({
      error: {
        // The name without its port: what CHAINLOG_ALLOWED_HOSTS takes.
        message: expect.stringContaining('add "attacker.example" to CHAINLOG_ALLOWED_HOSTS'),
        data: { code: 'BAD_REQUEST', httpStatus: 421 },
      },
    });
    expect('refused' in upgrade && upgrade.refused.status).toBe(421);
    expect('refused' in upgrade && JSON.parse(upgrade.refused.body)).toMatchObject({
      error: { message: expect.stringContaining('attacker.example'), data: { code: 'BAD_REQUEST' } },
    });
  });

  it.each(['localhost:5173', '127.0.0.1', '[::1]:8800', 'chainlog.internal:443', 'CHAINLOG.internal.'])(
    'accepts Host %s',
    async (host) => {
      const response = await sendRaw(server.url, { path: '/trpc/health', headers: { host } });
      const upgrade = await openRawSocket(server.wsUrl, { host });
      if ('opened' in upgrade) upgrade.opened.close();

      expect(response.status).toBe(200);
      expect('opened' in upgrade).toBe(true);
    },
  );

  it('refuses a Host that hides another name in user info', async () => {
    const response = await sendRaw(server.url, {
      path: '/trpc/health',
      headers: { host: 'attacker.example@localhost' },
    });

    expect(response.status).toBe(421);
  });

  it('answers /healthz whatever the Host, so probes that address the machine by IP work', async () => {
    const response = await sendRaw(server.url, { path: '/healthz', headers: { host: '10.1.2.3:8800' } });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok', auth: 'none' });
  });
});

describe('the Origin check and CORS', () => {
  let server: RunningServer;
  let host: string;
  beforeAll(async () => {
    server = await startRunningServer({
      env: { CHAINLOG_TOKEN: TOKEN, CHAINLOG_ALLOWED_ORIGINS: `${ALLOWED_ORIGIN}, http://localhost:5173` },
    });
    host = new URL(server.url).host;
  });
  afterAll(() => server.close());

  const authorized = { authorization: `Bearer ${TOKEN}` };

  it('refuses a /trpc request from another origin with 403 and no CORS headers, even with the token, and stores nothing', async () => {
    const before = await chainCount(server);
    const response = await sendRaw(server.url, {
      method: 'POST',
      path: '/trpc/inbox.submit',
      headers: { ...authorized, origin: EVIL_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(MESSAGE),
    });

    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({
      error: {
        message: expect.stringContaining('CHAINLOG_ALLOWED_ORIGINS'),
        data: { code: 'FORBIDDEN', httpStatus: 403 },
      },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(await chainCount(server)).toBe(before);
  });

  it('answers an allowed origin with its CORS headers', async () => {
    const response = await sendRaw(server.url, {
      path: '/trpc/health',
      headers: { ...authorized, origin: ALLOWED_ORIGIN },
    });

    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('serves the same origin (Origin names the Host) and a request without Origin, with no CORS headers', async () => {
    const sameOrigin = await sendRaw(server.url, {
      path: '/trpc/health',
      headers: { ...authorized, origin: `http://${host}` },
    });
    const noOrigin = await sendRaw(server.url, { path: '/trpc/health', headers: authorized });

    expect(sameOrigin.status).toBe(200);
    expect(noOrigin.status).toBe(200);
    expect(sameOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the preflight of an allowed origin with 204 and the methods, headers and max age it needs, without a token', async () => {
    const response = await sendRaw(server.url, {
      method: 'OPTIONS',
      path: '/trpc/inbox.submit',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED_ORIGIN,
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    const allowedHeaders = String(response.headers['access-control-allow-headers']).split(/,\s*/);
    expect(allowedHeaders).toEqual(
      expect.arrayContaining(['content-type', 'authorization', 'trpc-accept', 'x-trpc-source']),
    );
  });

  it('refuses the preflight of another origin with 403 and no CORS headers', async () => {
    const response = await sendRaw(server.url, {
      method: 'OPTIONS',
      path: '/trpc/inbox.submit',
      headers: { origin: EVIL_ORIGIN, 'access-control-request-method': 'POST' },
    });

    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses the WebSocket upgrade from another origin with 403, and opens it for an allowed or the same origin', async () => {
    const evil = await openRawSocket(server.wsUrl, { origin: EVIL_ORIGIN });
    const allowed = await openRawSocket(server.wsUrl, { origin: ALLOWED_ORIGIN });
    const same = await openRawSocket(server.wsUrl, { origin: `http://${host}` });
    for (const outcome of [allowed, same]) if ('opened' in outcome) outcome.opened.close();

    expect('refused' in evil && evil.refused.status).toBe(403);
    expect('refused' in evil && JSON.parse(evil.refused.body)).toMatchObject({
      error: { message: expect.stringContaining(EVIL_ORIGIN), data: { code: 'FORBIDDEN' } },
    });
    expect('opened' in allowed).toBe(true);
    expect('opened' in same).toBe(true);
  });

  it('gives /healthz the CORS header of an allowed origin, so a web app on it can learn that a token is needed', async () => {
    const response = await sendRaw(server.url, { path: '/healthz', headers: { origin: 'http://localhost:5173' } });

    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(JSON.parse(response.body)).toMatchObject({ auth: 'token' });
  });
});
