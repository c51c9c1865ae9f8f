import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { TRPCClientError, createTRPCClient, httpBatchLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import type { AppRouter } from '../routers/app.js';
import { headersTooLargeMessage } from './client-error.js';

// At the filters' longest (200 characters each; the search 500), CJK text percent-encoded: one call's URL fits in
// Node's 16 KiB of headers, a batch of the list and its count does not.
const LONGEST_FILTERS = {
  name: '漢'.repeat(200),
  model: '漢'.repeat(200),
  provider: '漢'.repeat(200),
  q: '漢'.repeat(500),
};

/** What the server answers to `text` sent as it is on a new connection, up to its close. */
function answerTo(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('a request the server cannot read', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startRunningServer();
  });
  afterAll(() => running.close());

  it("answers a batch whose URL is over the header limit with tRPC's BAD_REQUEST, which maxURLLength avoids", async () => {
    const batch = (maxURLLength?: number) => {
      const api = createTRPCClient<AppRouter>({
        links: [httpBatchLink({ url: `${running.url}/trpc`, maxItems: 10, ...(maxURLLength ? { maxURLLength } : {}) })],
      });
      return Promise.all([api.logs.list.query(LONGEST_FILTERS), api.logs.count.query(LONGEST_FILTERS)]);
    };

    const error: unknown = await batch().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error).toMatchObject({
      message: expect.stringContaining('maxURLLength'),
      data: { code: 'BAD_REQUEST', httpStatus: 431, issues: null },
    });
    const [page, count] = await batch(14_000);
    expect(page.items).toEqual([]);
    expect(count).toMatchObject({ count: 0, precision: 'exact' });
  });

  it('names the header limit the process runs with', () => {
    expect(headersTooLargeMessage()).toBe(headersTooLargeMessage(maxHeaderSize));
    expect(headersTooLargeMessage(16_384)).toContain("over the server's limit (16 KiB)");
    expect(headersTooLargeMessage(32_768)).toContain('(32 KiB)');
    expect(headersTooLargeMessage(20_000)).toContain('(20,000 bytes)');
  });

  it('answers any other unreadable request with 400 as Node does, and goes on serving', async () => {
    expect(await answerTo(running.url, 'NOT HTTP\r\n\r\n')).toBe(
      'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
    );
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
