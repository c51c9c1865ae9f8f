import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedSocket, openRawSocket, readUntilClosed } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';

const PING_MS = 200;
const PONG_WAIT_MS = 200;

let server: RunningServer;
beforeAll(async () => {
  server = await startRunningServer({ keepAlive: { pingMs: PING_MS, pongWaitMs: PONG_WAIT_MS } });
});
afterAll(() => server?.close());

async function open(): Promise<OpenedSocket> {
  const outcome = await openRawSocket(`${server.wsUrl}/`);
  if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);
  return outcome;
}

describe('WebSocket keep-alive', () => {
  it('sends a silent socket PING and drops it when no answer comes', async () => {
    const socket = await open();

    const { messages, code } = await readUntilClosed(socket, 5_000);

    expect(messages).toEqual(['PING']);
    // Terminated, not closed: a peer that does not answer would not answer a close frame either.
    expect(code).toBe(1006);
  });

  it('keeps a socket that answers each PING with PONG, pinging it again while it stays otherwise silent', async () => {
    const socket = await open();
    socket.opened.on('message', (data: Buffer) => {
      if (data.toString('utf8') === 'PING') socket.opened.send('PONG');
    });

    await expect.poll(() => socket.messages.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);

    expect(socket.messages.every((message) => message === 'PING')).toBe(true);
    expect(socket.opened.readyState).toBe(socket.opened.OPEN);
    socket.opened.close();
  });
});

describe('WebSocket send buffer bound', () => {
  let bounded: RunningServer;
  beforeAll(async () => {
    // Pinged only after a minute: within the test, only the bound can drop a socket.
    bounded = await startRunningServer({
      keepAlive: { pingMs: 60_000, pongWaitMs: PONG_WAIT_MS },
      limits: { maxWsBufferedBytes: 64 * 1024 },
    });
  });
  afterAll(() => bounded?.close());

  it("drops a socket whose client stops reading once its answers from tRPC's adapter pass maxWsBufferedBytes", async () => {
    const outcome = await openRawSocket(`${bounded.wsUrl}/`);
    if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);
    outcome.opened.pause();
    // Each error answer names the 50 KB path it was asked for: 200 of them wait for a reader that reads nothing.
    const path = 'x'.repeat(50_000);
    for (let id = 1; id <= 200; id++)
      outcome.opened.send(JSON.stringify({ id, method: 'query', params: { path, input: null } }));
    await new Promise((resolve) => setTimeout(resolve, 4 * PONG_WAIT_MS));
    outcome.opened.resume();

    const { messages, code } = await readUntilClosed(outcome, 5_000);

    expect(code).toBe(1006);
    expect(messages.length).toBeLessThan(200);
  });
});
