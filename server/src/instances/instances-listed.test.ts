import { randomUUID } from 'node:crypto';
import { TRPCClientError, createTRPCClient, httpBatchLink } from '@trpc/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { markInstanceStopped, registerInstance } from '../db/queries/instances.js';
import type { AppRouter } from '../routers/app.js';
import { MAX_LISTED_INSTANCES } from '../services/instances.js';

// Three instances registered on the server's database: one beating, one whose heartbeat is older than the lease,
// one that said it stopped. /healthz is open and counts them; who passes the door also sees their host names and
// pids, as does instances.list (behind the token like every procedure).

const TOKEN = 'instances-listed-test-token-0123456789';
const LEASE_MS = 10_000;
const alive = { id: randomUUID(), role: 'server', hostname: 'chainlog-a.internal', pid: 4101 } as const;
const lapsed = { id: randomUUID(), role: 'server', hostname: 'chainlog-b.internal', pid: 4102 } as const;
const stopped = { id: randomUUID(), role: 'cli', hostname: 'chainlog-c.internal', pid: 4103 } as const;
const stoppedLife = randomUUID();

let server: RunningServer;

beforeAll(async () => {
  server = await startRunningServer({ env: { CHAINLOG_TOKEN: TOKEN } });
  const { db } = server.dependencies;
  for (const instance of [alive, lapsed]) await registerInstance(db, instance);
  await registerInstance(db, { ...stopped, life_id: stoppedLife });
  await db
    .updateTable('instance')
    .set({ heartbeat_at: sql<Date>`now() - interval '1 minute'` })
    .where('id', '=', lapsed.id)
    .execute();
  await markInstanceStopped(db, stopped.id, stoppedLife);
});

afterAll(() => server?.close());

function client(token: string | undefined) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${server.url}/trpc`, headers: token ? { authorization: `Bearer ${token}` } : {} })],
  });
}

describe('instances on /healthz and instances.list', () => {
  it("lists every instance to a caller with the token, each alive, lapsed or stopped by the lease, with its heartbeat's age", async () => {
    const listed = await client(TOKEN).instances.list.query();

    expect(listed.leaseMs).toBe(LEASE_MS);
    const byId = new Map(listed.items.map((item) => [item.id, item]));
    expect(byId.get(alive.id)).toMatchObject({ ...alive, state: 'alive', self: false });
    expect(byId.get(lapsed.id)).toMatchObject({ ...lapsed, state: 'lapsed' });
    expect(byId.get(stopped.id)).toMatchObject({ ...stopped, state: 'stopped' });
    expect(byId.get(alive.id)?.heartbeatAgeMs).toBeLessThan(LEASE_MS);
    expect(byId.get(lapsed.id)?.heartbeatAgeMs).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps instances.list behind the token', async () => {
    const refused = await client(undefined)
      .instances.list.query()
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(TRPCClientError);
    expect(refused).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('counts the instances on an open /healthz without naming their hosts or pids', async () => {
    const response = await fetch(`${server.url}/healthz`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      status: 'ok',
      auth: 'token',
      instanceCounts: { alive: 1, lapsed: 1, stopped: 1 },
    });
    expect(JSON.parse(text)).not.toHaveProperty('instances');
    for (const instance of [alive, lapsed, stopped]) {
      expect(text).not.toContain(instance.hostname);
      expect(text).not.toContain(String(instance.pid));
    }
  });

  it('lists the instances on /healthz to a request with the token, but not to one naming a Host the server does not answer for', async () => {
    const withToken = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await withToken.json()) as {
      instances?: { id: string; hostname: string; pid: number; state: string }[];
    };
    expect(body.instances).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: alive.id, hostname: alive.hostname, pid: alive.pid, state: 'alive' }),
        expect.objectContaining({ id: stopped.id, state: 'stopped' }),
      ]),
    );

    // A page on another name that resolves here (DNS rebinding) reads /healthz, but not the details.
    const rebound = await sendRaw(server.url, {
      path: '/healthz',
      headers: { host: 'attacker.example', authorization: `Bearer ${TOKEN}` },
    });
    expect(rebound.status).toBe(200);
    expect(rebound.body).not.toContain(alive.hostname);
    expect(JSON.parse(rebound.body)).toMatchObject({ instanceCounts: { alive: 1, lapsed: 1, stopped: 1 } });
  });

  it('keeps the servers on the list and in the counts after a day of more `npm run ask` runs than the list holds', async () => {
    const runs = MAX_LISTED_INSTANCES + 20;
    await server.dependencies.db
      .insertInto('instance')
      .values(
        Array.from({ length: runs }, (_, index) => ({
          id: randomUUID(),
          role: 'cli' as const,
          hostname: 'laptop',
          pid: 9000 + index,
          stopped_at: new Date(),
        })),
      )
      .execute();

    const listed = await client(TOKEN).instances.list.query();

    expect(listed.items).toHaveLength(MAX_LISTED_INSTANCES);
    expect(
      listed.items
        .slice(0, 2)
        .map((item) => item.id)
        .sort(),
    ).toEqual([alive.id, lapsed.id].sort());
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { instanceCounts: unknown };
    expect(health.instanceCounts).toEqual({ alive: 1, lapsed: 1, stopped: runs + 1 });
  });
});
