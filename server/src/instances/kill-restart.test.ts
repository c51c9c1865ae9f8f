import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SupportMessage } from '@chainlog/shared';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { type ServerProcess, startServerProcess } from '../../test/server-process.js';
import { testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';

const MESSAGE: SupportMessage = { from: 'ada@example.com', subject: 'Where is my order?', body: 'Order A-1042 has not arrived.' };
const CHAINS = 3;
const TEST_TIMEOUT_MS = 150_000;

let fake: FakeProvider;
let database: { env: Record<string, string>; drop(): Promise<void> };
const processes: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  database = await databaseForProcesses();
});

afterAll(async () => {
  for (const server of processes) server.child.kill('SIGKILL');
  await Promise.all(processes.map((server) => server.exited));
  await fake?.close();
  await database?.drop();
});

/** PGlite in a folder of its own, or a schema of its own in the test PostgreSQL (named through the URL's options). */
async function databaseForProcesses(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (process.env.CHAINLOG_TEST_DB !== 'postgres') {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chainlog-kill-'));
    return { env: { CHAINLOG_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const url = testDatabaseUrl();
  const schema = `test_kill_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(url, (admin) => admin.query(`create schema ${schema}`));
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return {
    env: { DATABASE_URL: withSchema.toString() },
    drop: async () => {
      await withAdminClient(url, (admin) => admin.query(`drop schema ${schema} cascade`));
    },
  };
}

async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess({
    ...database.env,
    OPENAI_API_KEY: 'sk-test-openai',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    CHAINLOG_LLM_MAX_RETRIES: '0',
    CHAINLOG_INSTANCE_HEARTBEAT_MS: '200',
    CHAINLOG_INSTANCE_LEASE_MS: '1000',
    CHAINLOG_LOG_LEVEL: 'info',
  });
  processes.push(server);
  return server;
}

const clientOf = (server: ServerProcess) => createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/trpc` })] });

describe('a server killed with SIGKILL in the middle of its chains', () => {
  it(
    'leaves, once restarted, no log row pending and no chain running: each ends as interrupted, saying so',
    async () => {
      // The provider never answers: every chain is stuck in its first step, its row pending, when the process dies.
      fake.respondWith(() => ({ kind: 'hang' }));
      const first = await startServer();
      const api = clientOf(first);
      const chainIds: string[] = [];
      for (let index = 0; index < CHAINS; index++) chainIds.push((await api.inbox.submit.mutate(MESSAGE)).chainId);
      await expect.poll(async () => (await api.logs.list.query({ status: 'pending' })).items.length, { timeout: 20_000 }).toBe(CHAINS);

      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      fake.respondWith(triageReply);
      const second = await startServer();
      const restarted = clientOf(second);

      // PGlite: the restart ends them at once; PostgreSQL: within a lease of the dead process's last heartbeat.
      await expect.poll(async () => (await restarted.logs.list.query({ status: 'pending' })).items.length, { timeout: 20_000 }).toBe(0);
      await expect.poll(async () => (await restarted.chains.list.query({ status: 'running' })).items.length, { timeout: 20_000 }).toBe(0);
      for (const chainId of chainIds) {
        const detail = await restarted.chains.get.query({ chainId });
        expect(detail.chain).toMatchObject({ status: 'interrupted', error: { class: 'Interrupted' } });
        const [attempt] = detail.logs;
        const row = await restarted.logs.get.query({ id: attempt?.id ?? '' });
        expect(row).toMatchObject({ status: 'error', error: { class: 'InterruptedError', code: 'interrupted' } });
      }
      // The restarted server serves new chains to the end.
      const { chainId } = await restarted.inbox.submit.mutate(MESSAGE);
      await expect.poll(async () => (await restarted.chains.get.query({ chainId })).chain.status, { timeout: 20_000 }).toBe('succeeded');

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
