import type { SupportMessage } from '@chainlog/shared';
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { type TcpProxy, startTcpProxy } from '../../test/tcp-proxy.js';
import { openTestDatabase, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';
import type { DatabaseHandle } from './client.js';

const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
const APPLICATION_NAME = `chainlog outage test ${process.pid} ${Math.random().toString(36).slice(2, 8)}`;

let fake: FakeProvider;
let proxy: TcpProxy;
let database: DatabaseHandle & { schema?: string };
let running: RunningServer;

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: (request) => {
      const reply = triageReply(request);
      return reply.kind === 'json' ? { ...reply, delayMs: 20 } : reply;
    },
  });
  const target = new URL(testDatabaseUrl());
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  database = await openTestDatabase({
    connectThrough: (url) => proxy.urlThrough(url),
    outageWaitMs: 30_000,
    applicationName: APPLICATION_NAME,
  });
  running = await startRunningServer({ fakeProvider: fake, database });
});

afterAll(async () => {
  await running?.close();
  await proxy?.restore().catch(() => {});
  await database?.close();
  await proxy?.close();
  await fake?.close();
});

function client() {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${running.url}/trpc` })] });
}

async function healthStatus(): Promise<number> {
  return (await fetch(`${running.url}/healthz`)).status;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

/** Reads the test's schema straight from PostgreSQL, not through the proxy. */
async function rowsDirect<T>(query: (schema: string) => string): Promise<T[]> {
  const schema = database.schema;
  if (!schema) throw new Error('a PostgreSQL test database has a schema');
  return withAdminClient(testDatabaseUrl(), async (admin) => (await admin.query(query(schema))).rows as T[]);
}

interface ChainState {
  id: string;
  status: string;
  error: unknown;
}

async function waitForChainsToEnd(chainIds: readonly string[]): Promise<ChainState[]> {
  const list = chainIds.map((id) => `'${id}'`).join(', ');
  let rows: ChainState[] = [];
  await expect
    .poll(
      async () => {
        rows = await rowsDirect<ChainState>(
          (schema) => `select id, status, error from ${schema}.chain where id in (${list})`,
        );
        return rows.filter((row) => row.status === 'running').length;
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBe(0);
  return rows;
}

describe('when PostgreSQL goes away under load and comes back', () => {
  it('keeps the process alive, answers 503 meanwhile, serves again within 10 s, and loses no row of a call that returned', async () => {
    const api = client();
    const succeededLogIds: string[] = [];
    const askFailures: unknown[] = [];
    const ackedChains: string[] = [];
    const submitErrorCodes: (string | undefined)[] = [];
    let loading = true;
    const asker = async () => {
      while (loading) {
        try {
          succeededLogIds.push((await running.dependencies.llm.ask('intent recognition', MESSAGE)).logId);
        } catch (error) {
          askFailures.push(error);
        }
      }
    };
    const submitter = async () => {
      while (loading) {
        try {
          ackedChains.push((await api.inbox.submit.mutate(MESSAGE)).chainId);
        } catch (error) {
          submitErrorCodes.push(codeOf(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const load = [asker(), asker(), asker(), asker(), submitter()];
    await expect.poll(() => succeededLogIds.length >= 20 && ackedChains.length >= 3, { timeout: 20_000 }).toBe(true);

    await proxy.cut();
    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(503);
    const health = await (await fetch(`${running.url}/healthz`)).json();
    expect(health).toMatchObject({
      status: 'unavailable',
      database: 'postgres',
      problem: 'the database is unreachable',
    });
    const listing = await api.logs.list.query({}).then(
      () => 'answered',
      (error: unknown) => codeOf(error),
    );
    expect(listing).toBe('SERVICE_UNAVAILABLE');
    // Submissions meanwhile are answered (refused), not left hanging.
    await expect.poll(() => submitErrorCodes.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const acknowledgedBeforeRestore = ackedChains.length;

    await proxy.restore();
    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
    const { chainId } = await api.inbox.submit.mutate(MESSAGE);
    loading = false;
    await Promise.all(load);

    const chains = await waitForChainsToEnd([...ackedChains, chainId]);
    expect(chains.filter((chain) => chain.status !== 'succeeded')).toEqual([]);
    expect(acknowledgedBeforeRestore).toBeGreaterThanOrEqual(3);
    // Calls in flight when it went away waited for it and went on; none failed.
    expect(askFailures).toEqual([]);
    expect(new Set(submitErrorCodes)).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    const okRows = await rowsDirect<{ id: string }>(
      (schema) => `select id from ${schema}.inference_log where status = 'ok'`,
    );
    const okIds = new Set(okRows.map((row) => row.id));
    expect(succeededLogIds.filter((id) => !okIds.has(id))).toEqual([]);
    const pending = await rowsDirect<{ count: number }>(
      (schema) => `select count(*)::int as count from ${schema}.inference_log where status = 'pending'`,
    );
    expect(pending[0]?.count).toBe(0);
  });

  it('withdraws a submission whose commit ran but whose answer was cut off: the caller is told it failed, and nothing of it stays', async () => {
    const api = client();
    const before = await rowsDirect<{ count: number }>(
      (schema) => `select count(*)::int as count from ${schema}.inbox_message`,
    );
    // The commit of the connection that inserted the message: another's (the chain intake's poll) can come first. The
    // statement text ends in NUL in the wire protocol's Query and Parse messages alike.
    let submitting: object | undefined;
    const cut = proxy.cutAfterNext((chunk, connection) => {
      const text = chunk.toString('latin1');
      if (/insert into [^(]*"inbox_message"/i.test(text)) submitting = connection;
      return connection === submitting && /\bcommit\0/i.test(text);
    });

    const refusal = await api.inbox.submit.mutate(MESSAGE).then(
      () => 'acknowledged',
      (error: unknown) => codeOf(error),
    );
    await cut;
    expect(refusal).toBe('SERVICE_UNAVAILABLE');
    await expect
      .poll(
        async () =>
          (
            await rowsDirect<{ count: number }>(
              (schema) => `select count(*)::int as count from ${schema}.inbox_message`,
            )
          )[0]?.count,
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe(before[0]?.count);
    const running = await rowsDirect<{ count: number }>(
      (schema) => `select count(*)::int as count from ${schema}.chain where status = 'running'`,
    );
    expect(running[0]?.count).toBe(0);
    // Once the lost connection is replaced, the next submission goes through as usual.
    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
    const { chainId } = await api.inbox.submit.mutate(MESSAGE);
    const [chain] = await waitForChainsToEnd([chainId]);
    expect(chain?.status).toBe('succeeded');
  });

  it('survives PostgreSQL terminating every connection (as a restart does) and serves again', async () => {
    const api = client();
    await api.logs.list.query({});
    const terminated = await withAdminClient(
      testDatabaseUrl(),
      async (admin) =>
        (
          await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
            APPLICATION_NAME,
          ])
        ).rowCount,
    );
    expect(terminated).toBeGreaterThan(0);

    await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
    const { chainId } = await api.inbox.submit.mutate(MESSAGE);
    const [chain] = await waitForChainsToEnd([chainId]);
    expect(chain?.status).toBe('succeeded');
  });
});
