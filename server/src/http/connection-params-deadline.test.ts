import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSocket, readUntilClosed } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { CONNECTION_PARAMS_TIMEOUT_CODE } from './connection-params-deadline.js';

const TIMEOUT_MS = 300;

let server: RunningServer;
beforeAll(async () => {
  server = await startRunningServer({ limits: { connectionParamsTimeoutMs: TIMEOUT_MS } });
});
afterAll(() => server?.close());

async function open(path: string) {
  const outcome = await openRawSocket(`${server.wsUrl}${path}`);
  if (!('opened' in outcome)) throw new Error(`upgrade refused: ${outcome.refused.status}`);
  return outcome;
}

describe('a WebSocket that announces connectionParams', () => {
  it('is closed with 4408 when it does not send them in time', async () => {
    const socket = await open('/?connectionParams=1');

    const { code, reason } = await readUntilClosed(socket, 5_000);

    expect(code).toBe(CONNECTION_PARAMS_TIMEOUT_CODE);
    expect(reason).toBe(`connectionParams not sent within ${TIMEOUT_MS} ms`);
  });

  it('is closed all the same when it sends only keep-alive PINGs and PONGs, which tRPC does not take for them', async () => {
    const socket = await open('/?connectionParams=1');
    const pinging = setInterval(() => {
      socket.opened.send('PING');
      socket.opened.send('PONG');
    }, TIMEOUT_MS / 6);

    const { code } = await readUntilClosed(socket, 5_000).finally(() => clearInterval(pinging));

    expect(code).toBe(CONNECTION_PARAMS_TIMEOUT_CODE);
  });

  it('stays open past the deadline once it sent them, and answers calls', async () => {
    const socket = await open('/?connectionParams=1');
    socket.opened.send(JSON.stringify({ method: 'connectionParams', data: {} }));

    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
    socket.opened.send(JSON.stringify({ id: 1, method: 'query', params: { path: 'health', input: undefined } }));

    await expect.poll(() => socket.messages.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(JSON.parse(socket.messages[0] ?? '{}')).toMatchObject({ id: 1, result: { type: 'data' } });
    expect(socket.opened.readyState).toBe(socket.opened.OPEN);
    socket.opened.close();
  });

  it('leaves a WebSocket without the flag open however long it stays silent (subscribers are often quiet)', async () => {
    const socket = await open('/');

    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));

    expect(socket.opened.readyState).toBe(socket.opened.OPEN);
    socket.opened.close();
  });
});
