import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { isMalformedPath } from './malformed-path.js';

describe('isMalformedPath', () => {
  it.each(['/trpc/%ff', '/trpc/%', '/trpc/%zz', '/trpc/health%', '/trpc/%E0%A4%A', '/trpc/%C0%AF', '/trpc/%ED%A0%80'])(
    'finds %s malformed',
    (pathname) => {
      expect(isMalformedPath(pathname)).toBe(true);
    },
  );

  it.each(['/trpc/health', '/trpc/health%2Cinbox.list', '/trpc/%C3%A9', '/trpc/%00', '/trpc/a.b,c'])(
    'finds %s well-formed',
    (pathname) => {
      expect(isMalformedPath(pathname)).toBe(false);
    },
  );
});

describe('a malformed path on the running server', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startRunningServer();
  });
  afterAll(() => running.close());

  it.each(['GET', 'POST'])(
    'answers %s /trpc/%%ff with 400 and a tRPC BAD_REQUEST error, not 500, and the server goes on',
    async (method) => {
      const answer = await sendRaw(running.url, {
        method,
        path: '/trpc/%ff?input=%7B%7D',
        headers: { host: 'localhost', 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });

      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: {
          message: 'the path /trpc/%ff is not valid percent-encoding',
          code: -32600,
          data: { code: 'BAD_REQUEST', httpStatus: 400, issues: null },
        },
      });
      const health = await sendRaw(running.url, { path: '/trpc/health', headers: { host: 'localhost' } });
      expect(health.status).toBe(200);
    },
  );

  it('still answers a well-formed escape in a procedure path as tRPC does: an unknown procedure is 404', async () => {
    const answer = await sendRaw(running.url, { path: '/trpc/%C3%A9', headers: { host: 'localhost' } });

    expect(answer.status).toBe(404);
  });
});
