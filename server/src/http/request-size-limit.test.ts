import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../test/llm-harness.js';
import { sendRaw } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { countMessagesAndChains } from '../../test/stored-rows.js';

const WAIT_MS = 5_000;
const MAX_BODY_BYTES = 64 * 1024;
const TWO_HUNDRED_MB = 200 * 1024 * 1024;
const MESSAGE = { from: 'ada@example.com', subject: 'Order 1042', body: 'Where is my order? It has not arrived yet.' };

/** An HTTP/1.1 connection written by hand, to send headers without their body or a body in chunks. */
class RawConnection {
  received = '';
  readonly errors: Error[] = [];
  readonly closed: Promise<void>;
  private readonly onData = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      for (const listener of [...this.onData]) listener();
    });
    // The server may reset a connection whose body it stopped reading: recorded, not thrown.
    socket.on('error', (error) => this.errors.push(error));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(baseUrl: string): Promise<RawConnection> {
    const { hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    return within(
      new Promise<RawConnection>((resolve, reject) => {
        socket.once('connect', () => resolve(new RawConnection(socket)));
        socket.once('error', reject);
      }),
      WAIT_MS,
      'a connection to the server',
    );
  }

  /** The request line and headers of a POST, ending the head (no body). */
  sendHead(path: string, headers: Record<string, string>): void {
    const lines = [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** Resolves once what the server sent matches `pattern`. */
  receive(pattern: RegExp, what: string): Promise<string> {
    return within(
      new Promise<string>((resolve) => {
        const check = () => {
          if (!pattern.test(this.received)) return;
          this.onData.delete(check);
          resolve(this.received);
        };
        this.onData.add(check);
        check();
      }),
      WAIT_MS,
      what,
    );
  }

  closedByServer(): Promise<void> {
    return within(this.closed, WAIT_MS, 'the server to close the connection');
  }

  /** Resolves when the socket can take more, or has closed. */
  drainedOrClosed(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        resolve();
      };
      this.socket.once('drain', done);
      void this.closed.then(done);
    });
  }
}

describe('the request size bounds', () => {
  let running: RunningServer;
  beforeAll(async () => {
    // A small body bound, so going past it is quick; the batch bound at its default.
    running = await startRunningServer({ limits: { maxBodyBytes: MAX_BODY_BYTES } });
  });
  afterAll(() => running.close());

  /** A valid submission padded with JSON whitespace to exactly `bytes` bytes. */
  function submitOfBytes(bytes: number): Promise<Response> {
    const json = JSON.stringify(MESSAGE);
    return fetch(`${running.url}/trpc/inbox.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json + ' '.repeat(bytes - json.length),
    });
  }

  it('takes a body of exactly the limit and answers one byte more with 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
    const atLimit = await submitOfBytes(MAX_BODY_BYTES);
    expect(atLimit.status).toBe(200);
    expect(await atLimit.json()).toMatchObject({ result: { data: { chainId: expect.any(String) } } });

    const over = await submitOfBytes(MAX_BODY_BYTES + 1);
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({
      error: {
        message: `the request body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES} bytes`,
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
      },
    });
  });

  it('answers a declared 200 MB body with 413 before any of it is sent, then closes the connection', async () => {
    const connection = await RawConnection.open(running.url);
    const before = await countMessagesAndChains(running.dependencies.db);

    connection.sendHead('/trpc/inbox.submit', { 'Content-Length': String(TWO_HUNDRED_MB) });

    await connection.closedByServer();
    expect(connection.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(connection.received).toMatch(/^connection: close$/im);
    expect(connection.received).toContain('"PAYLOAD_TOO_LARGE"');
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual(before);
  });

  it('answers Expect: 100-continue with 413 instead of Continue when the declared body is over the limit', async () => {
    const connection = await RawConnection.open(running.url);

    connection.sendHead('/trpc/inbox.submit', { 'Content-Length': String(TWO_HUNDRED_MB), Expect: '100-continue' });

    await connection.closedByServer();
    expect(connection.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(connection.received).not.toContain('100 Continue');
  });

  it('answers Expect: 100-continue with Continue when the declared body is within the limit, then serves the call', async () => {
    const connection = await RawConnection.open(running.url);
    const body = JSON.stringify(MESSAGE);

    connection.sendHead('/trpc/inbox.submit', { 'Content-Length': String(body.length), Expect: '100-continue' });
    await connection.receive(/^HTTP\/1\.1 100 Continue\r\n\r\n/, 'the 100 Continue');
    connection.socket.write(body);

    expect(await connection.receive(/HTTP\/1\.1 200 OK[\s\S]*chainId/, 'the answer to the call')).toContain(
      '"chainId"',
    );
    connection.socket.destroy();
  });

  it('stops reading a chunked body once past the limit: 413, the connection closed, almost none of 200 MB sent', async () => {
    const connection = await RawConnection.open(running.url);
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let closed = false;
    void connection.closed.then(() => {
      closed = true;
    });

    connection.sendHead('/trpc/inbox.submit', { 'Transfer-Encoding': 'chunked' });
    // Sends as fast as the server reads, until it closes the connection or all 200 MB went.
    let sentBytes = 0;
    while (!closed && sentBytes < TWO_HUNDRED_MB) {
      const flushed = connection.socket.write(frame);
      sentBytes += chunk.length;
      if (!flushed) await connection.drainedOrClosed();
    }

    await connection.closedByServer();
    expect(connection.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(connection.received).toContain('"PAYLOAD_TOO_LARGE"');
    expect(connection.received).toContain('"the request body is over the limit (CHAINLOG_MAX_BODY_BYTES)"');
    // What the server stopped reading stays in socket buffers: a few MB at most, not the 200 MB.
    expect(sentBytes).toBeLessThan(32 * 1024 * 1024);
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
  });

  function submitBatch(calls: number): Promise<Response> {
    const paths = Array.from({ length: calls }, () => 'inbox.submit').join(',');
    const inputs = Object.fromEntries(
      Array.from({ length: calls }, (_, index) => [index, { ...MESSAGE, subject: `Batch call ${index}` }]),
    );
    return fetch(`${running.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inputs),
    });
  }

  it('runs a batch of 10 calls (the default) and refuses one of 11 with 400 naming the limit, before any call runs', async () => {
    const before = await countMessagesAndChains(running.dependencies.db);

    const ten = await submitBatch(10);
    expect(ten.status).toBe(200);
    expect(await ten.json()).toHaveLength(10);
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual({
      messages: before.messages + 10,
      chains: before.chains + 10,
    });

    const eleven = await submitBatch(11);
    expect(eleven.status).toBe(400);
    const answers: unknown = await eleven.json();
    expect(answers).toHaveLength(11);
    expect(answers).toEqual(
      Array.from({ length: 11 }, () => ({
        error: expect.objectContaining({
          message: 'a batch may hold at most 10 calls; this one has 11',
          data: expect.objectContaining({ code: 'BAD_REQUEST' }),
        }),
      })),
    );
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual({
      messages: before.messages + 10,
      chains: before.chains + 10,
    });
  });

  // Each URL below is one tRPC runs as a batch of 11 submissions: the bound must read it the same way.
  it.each([
    ['a fragment after the query', (paths: string) => `/trpc/${paths}?batch=1#x`],
    ['the flag after another parameter', (paths: string) => `/trpc/${paths}?x=1&batch=1`],
    ['a percent-encoded flag', (paths: string) => `/trpc/${paths}?batch=%31`],
    ['a dot segment in the path', (paths: string) => `/trpc/x/../${paths}?batch=1`],
    ['a comma encoded in a dot segment', (paths: string) => `/trpc/x,y/../${paths}?batch=1`],
  ])('refuses 11 calls written with %s, before any call runs', async (_form, url) => {
    const before = await countMessagesAndChains(running.dependencies.db);
    const inputs = Object.fromEntries(
      Array.from({ length: 11 }, (_, index) => [index, { ...MESSAGE, subject: `Odd batch call ${index}` }]),
    );

    const response = await sendRaw(running.url, {
      method: 'POST',
      path: url(Array.from({ length: 11 }, () => 'inbox.submit').join(',')),
      headers: { host: '127.0.0.1', 'content-type': 'application/json' },
      body: JSON.stringify(inputs),
    });

    expect(response.status).toBe(400);
    expect(response.body).toContain('a batch may hold at most 10 calls; this one has 11');
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual(before);
  });

  it('counts calls whose separating commas are percent-encoded, as tRPC decodes them', async () => {
    const paths = Array.from({ length: 11 }, () => 'health').join('%2C');

    const response = await fetch(`${running.url}/trpc/${paths}?batch=1`);

    expect(response.status).toBe(400);
  });
});
