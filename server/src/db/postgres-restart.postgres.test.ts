import type { SupportMessage } from '@chainlog/shared';
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { type PrivatePostgres, startPrivatePostgres } from '../../test/private-postgres.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';
import { type DatabaseHandle, openDatabase } from './client.js';

const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
const TEST_TIMEOUT_MS = 120_000;

let fake: FakeProvider;
let postgres: PrivatePostgres;
let database: DatabaseHandle;
let running: RunningServer;

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: (request) => {
      const reply = triageReply(request);
      return reply.kind === 'json' ? { ...reply, delayMs: 20 } : reply;
    },
  });
  postgres = await startPrivatePostgres();
  database = await openDatabase({ kind: 'postgres', url: postgres.url, poolSize: 10 }, { outageWaitMs: 60_000 });
  running = await startRunningServer({ fakeProvider: fake, database });
}, 60_000);

afterAll(async () => {
  await running?.close();
  await database?.close();
  await postgres?.destroy();
  await fake?.close();
});

const healthStatus = async () => (await fetch(`${running.url}/healthz`)).status;

/** Reads straight from the cluster with a client of its own. */
async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** `concurrency` loops of ask() until `stop` resolves; every logId returned, and every error thrown. */
async function askUnderLoad(
  concurrency: number,
  during: () => Promise<void>,
): Promise<{ returned: string[]; failures: unknown[] }> {
  const returned: string[] = [];
  const failures: unknown[] = [];
  let loading = true;
  const loop = async () => {
    while (loading) {
      try {
        returned.push((await running.dependencies.llm.ask('intent recognition', MESSAGE)).logId);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await expect.poll(() => returned.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(5 * concurrency);
  await during();
  const returnedBefore = returned.length;
  await expect.poll(() => returned.length, { timeout: 30_000 }).toBeGreaterThan(returnedBefore + concurrency);
  loading = false;
  await Promise.all(loops);
  return { returned, failures };
}

async function expectEveryReturnedCallLogged(returned: readonly string[]): Promise<void> {
  const rows = await query<{ id: string }>(
    `select id from inference_log where status = 'ok' and id = any($1::uuid[])`,
    [returned],
  );
  expect(returned.length - rows.length).toBe(0);
  const [pending] = await query<{ count: number }>(
    `select count(*)::int as count from inference_log where status = 'pending'`,
  );
  expect(pending?.count).toBe(0);
}

async function expectServingAgain(): Promise<void> {
  await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(200);
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${running.url}/trpc` })] });
  const { chainId } = await api.inbox.submit.mutate(MESSAGE);
  await expect
    .poll(async () => (await api.chains.get.query({ chainId })).chain.status, { timeout: 20_000 })
    .toBe('succeeded');
}

describe('a real PostgreSQL server that stops under load and starts again', () => {
  it(
    'restarted (pg_ctl stop -m fast, then start): the process lives, calls in flight wait and go on, every returned call is logged',
    async () => {
      const { returned, failures } = await askUnderLoad(8, async () => {
        await postgres.stop('fast');
        await expect.poll(healthStatus, { timeout: 10_000, interval: 100 }).toBe(503);
        const listing = await createTRPCClient<AppRouter>({ links: [httpLink({ url: `${running.url}/trpc` })] })
          .logs.list.query({})
          .then(
            () => 'answered',
            (error: unknown) => (error instanceof TRPCClientError ? error.data?.code : String(error)),
          );
        expect(listing).toBe('SERVICE_UNAVAILABLE');
        await postgres.start();
      });

      expect(failures).toEqual([]);
      await expectServingAgain();
      await expectEveryReturnedCallLogged(returned);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'crashed (pg_ctl stop -m immediate) under 32 concurrent calls: with the default synchronous commit no returned call loses its row',
    async () => {
      const { returned, failures } = await askUnderLoad(32, async () => {
        await postgres.stop('immediate');
        await postgres.start();
      });

      expect(failures).toEqual([]);
      await expectServingAgain();
      await expectEveryReturnedCallLogged(returned);
    },
    TEST_TIMEOUT_MS,
  );
});
