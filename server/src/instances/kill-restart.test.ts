import { rmSync } from 'node:fs';
import type { SupportMessage } from '@chainlog/shared';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { type ServerProcess, startServerProcess } from '../../test/server-process.js';
import { migratedPgliteFolder, serverDatabaseEnv } from '../../test/test-database.js';
import { schemaNameOf, triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';

const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
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
function databaseForProcesses(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  return serverDatabaseEnv(() => {
    const dataDir = migratedPgliteFolder('chainlog-kill-');
    return { env: { CHAINLOG_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  });
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
    // Shorter than a chain whose call hangs: a SIGTERM aborts it and hands its chain back.
    CHAINLOG_SHUTDOWN_TIMEOUT_MS: '500',
    CHAINLOG_LOG_LEVEL: 'info',
  });
  processes.push(server);
  return server;
}

const clientOf = (server: ServerProcess) =>
  createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/trpc` })] });

/**
 * A server running CHAINS chains, each waiting in its second step: intent recognition answers, entity extraction
 * never does. Resolves once every chain's second call is pending.
 */
async function serverWithChainsInTheirSecondStep(
  subjects: readonly string[],
): Promise<{ server: ServerProcess; chainIds: string[] }> {
  fake.respondWith((request) =>
    schemaNameOf(request) === 'entity_extraction' ? { kind: 'hang' } : triageReply(request),
  );
  const server = await startServer();
  const api = clientOf(server);
  const chainIds: string[] = [];
  for (const subject of subjects) chainIds.push((await api.inbox.submit.mutate({ ...MESSAGE, subject })).chainId);
  await expect
    .poll(async () => (await api.logs.list.query({ status: 'pending', name: 'entity extraction' })).items.length, {
      timeout: 20_000,
    })
    .toBe(subjects.length);
  return { server, chainIds };
}

/**
 * Stops `first` with `signal` (checking it exits as that signal should: killed, or 0 after its drain), lets the fake
 * answer every task, and starts the server again; resolves once each of `chainIds` has succeeded there.
 */
async function restartAfter(
  first: ServerProcess,
  signal: 'SIGKILL' | 'SIGTERM',
  chainIds: readonly string[],
): Promise<{ server: ServerProcess; api: ReturnType<typeof clientOf> }> {
  first.child.kill(signal);
  expect(await first.exited).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 0);
  fake.respondWith(triageReply);
  const server = await startServer();
  const api = clientOf(server);
  // PGlite: resumed at once; PostgreSQL: within a lease of the dead process's last heartbeat.
  for (const chainId of chainIds) {
    await expect
      .poll(async () => (await api.chains.get.query({ chainId })).chain.status, { timeout: 30_000 })
      .toBe('succeeded');
  }
  return { server, api };
}

describe('a server killed with SIGKILL in the middle of its chains', () => {
  it(
    'resumes them once restarted: no finished step is called again, the cut-off call goes on as its next attempt, no row stays pending',
    async () => {
      const subjects = Array.from({ length: CHAINS }, (_, index) => `Where is my order? (${index})`);
      const { server: first, chainIds } = await serverWithChainsInTheirSecondStep(subjects);

      const { server: second, api: restarted } = await restartAfter(first, 'SIGKILL', chainIds);
      expect((await restarted.logs.list.query({ status: 'pending' })).items).toHaveLength(0);
      for (const [index, chainId] of chainIds.entries()) {
        const detail = await restarted.chains.get.query({ chainId });
        expect(detail.steps.map((step) => [step.name, step.status])).toEqual([
          ['intent recognition', 'succeeded'],
          ['entity extraction', 'succeeded'],
          ['reply drafting', 'succeeded'],
        ]);
        expect(
          detail.logs.map((attempt) => [attempt.name, attempt.attempt, attempt.status, attempt.errorClass]),
        ).toEqual([
          ['intent recognition', 1, 'ok', null],
          ['entity extraction', 1, 'error', 'InterruptedError'],
          ['entity extraction', 2, 'ok', null],
          ['reply drafting', 1, 'ok', null],
        ]);
        expect(detail.domain.triages).toHaveLength(1);
        expect(detail.domain.replyDrafts).toHaveLength(1);
        // The provider heard each task of this chain once, but the cut-off one twice.
        const asked = fake.requests
          .filter((request) => JSON.stringify(request.body).includes(subjects[index] ?? ''))
          .map(schemaNameOf);
        expect(asked.filter((name) => name === 'intent_recognition')).toHaveLength(1);
        expect(asked.filter((name) => name === 'entity_extraction')).toHaveLength(2);
      }
      // The restarted server serves new chains to the end.
      const { chainId } = await restarted.inbox.submit.mutate(MESSAGE);
      await expect
        .poll(async () => (await restarted.chains.get.query({ chainId })).chain.status, { timeout: 20_000 })
        .toBe('succeeded');

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stopped with SIGTERM while its chains wait on a call (the drain runs out) and started again: finishes them, the aborted call made again as its next attempt',
    async () => {
      const subjects = Array.from({ length: CHAINS }, (_, index) => `Stopped gracefully (${index})`);
      const { server: first, chainIds } = await serverWithChainsInTheirSecondStep(subjects);

      const { server: second, api: restarted } = await restartAfter(first, 'SIGTERM', chainIds);
      for (const chainId of chainIds) {
        const detail = await restarted.chains.get.query({ chainId });
        expect(
          detail.logs.map((attempt) => [attempt.name, attempt.attempt, attempt.status, attempt.errorClass]),
        ).toEqual([
          ['intent recognition', 1, 'ok', null],
          ['entity extraction', 1, 'error', 'AbortedError'],
          ['entity extraction', 2, 'ok', null],
          ['reply drafting', 1, 'ok', null],
        ]);
      }
      expect((await restarted.logs.list.query({ status: 'pending' })).items).toHaveLength(0);

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
