import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLookupProblem, listenProblem } from './listen-problem.js';

/** What listening on host:port threw. */
function listenError(host: string, port: number): Promise<unknown> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => reject(new Error(`listened on ${host}:${port}`))));
  });
}

describe('listenProblem', () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('says a port in use is, and to set PORT', async () => {
    expect(listenProblem(await listenError('127.0.0.1', takenPort), '127.0.0.1', takenPort)).toBe(
      `PORT=${takenPort} on 127.0.0.1 is in use; set PORT to another port`,
    );
  });

  it('says a HOST that is not an address of this machine is not', async () => {
    // 192.0.2.0/24 is kept for documentation: no machine has it.
    expect(listenProblem(await listenError('192.0.2.1', 0), '192.0.2.1', 0)).toMatch(
      /^HOST=192\.0\.2\.1 is not an address of this machine; use 0\.0\.0\.0 /,
    );
  });

  it('leaves other errors to be printed whole', () => {
    expect(listenProblem(new Error('something else'), '127.0.0.1', 3000)).toBeUndefined();
  });
});

describe('hostLookupProblem', () => {
  it('names a HOST that does not resolve', async () => {
    expect(await hostLookupProblem('chainlog-test.invalid')).toBe(
      'HOST=chainlog-test.invalid does not resolve to an address',
    );
  });

  it('has nothing to say of names and addresses that resolve', async () => {
    for (const host of ['localhost', '127.0.0.1', '0.0.0.0', '::'])
      expect(await hostLookupProblem(host)).toBeUndefined();
  });
});
