import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { type TcpProxy, startTcpProxy } from '../../test/tcp-proxy.js';
import { openTestDatabase, testDatabaseUrl } from '../../test/test-database.js';
import type { AppRouter } from '../routers/app.js';
import type { DatabaseHandle } from './client.js';

let proxy: TcpProxy;
let database: DatabaseHandle;
let running: RunningServer;

beforeAll(async () => {
  const target = new URL(testDatabaseUrl());
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  database = await openTestDatabase({ connectThrough: (url) => proxy.urlThrough(url), outageWaitMs: 30_000 });
  running = await startRunningServer({ database });
});

afterAll(async () => {
  proxy?.resume();
  await running?.close();
  await database?.close();
  await proxy?.close();
});

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

async function healthStatus(): Promise<number> {
  return (await fetch(`${running.url}/healthz`)).status;
}

describe('when PostgreSQL stops answering but keeps its connections open', () => {
  it('marks it unavailable once the health check times out, answers SERVICE_UNAVAILABLE instead of hanging, and serves again when it answers', async () => {
    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${running.url}/trpc` })] });
    await api.logs.list.query({});

    proxy.stall();
    expect(await healthStatus()).toBe(503);

    expect(running.dependencies.databaseStatus.isUp()).toBe(false);
    // Without the mark, this query would wait on the silent database for good: the bound turns that into a failure.
    const listing = await within(
      api.logs.list.query({}).then(
        () => 'answered',
        (error: unknown) => codeOf(error),
      ),
      5_000,
      'logs.list while the database is silent',
    );
    expect(listing).toBe('SERVICE_UNAVAILABLE');

    proxy.resume();
    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
    expect(running.dependencies.databaseStatus.isUp()).toBe(true);
    expect(await api.logs.list.query({})).toMatchObject({ items: expect.any(Array) });
  });

  it('finds the database back on a new connection while the connections open during the silence stay silent', async () => {
    // Every pooled connection open and idle, so a probe through the pool would take one of the silent ones.
    await Promise.all(Array.from({ length: 10 }, () => sql`select pg_sleep(0.05)`.execute(database.db)));
    proxy.stall();
    expect(await healthStatus()).toBe(503);

    proxy.resumeNewOnly();
    // The probe asks on a connection of its own, so the silent pooled ones cannot keep it down.
    await expect.poll(() => running.dependencies.databaseStatus.isUp(), { timeout: 10_000, interval: 100 }).toBe(true);
    proxy.resume();
    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
  });

  it('takes a pool whose every connection is busy for busy, not for an unreachable database', async () => {
    // The test database's pool holds 10 connections: each is taken for 3 s, longer than the health check waits.
    const sleepers = Array.from({ length: 10 }, () => sql`select pg_sleep(3)`.execute(database.db));

    expect(await healthStatus()).toBe(200);
    expect(running.dependencies.databaseStatus.isUp()).toBe(true);
    await Promise.all(sleepers);
  });
});
