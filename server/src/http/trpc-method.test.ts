import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startRunningServer();
});
afterAll(() => server?.close());

describe('a /trpc request with a method tRPC does not take', () => {
  it.each(['TRACE', 'PUT', 'DELETE', 'PATCH'])(
    'answers %s with 405 and allow, in tRPC’s error shape, and goes on serving',
    async (method) => {
      const response = await sendRaw(server.url, { method, path: '/trpc/health' });

      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, POST, OPTIONS');
      expect(JSON.parse(response.body)).toMatchObject({
        error: { data: { code: 'METHOD_NOT_SUPPORTED', httpStatus: 405 } },
      });
      expect((await sendRaw(server.url, { path: '/trpc/health' })).status).toBe(200);
    },
  );
});
