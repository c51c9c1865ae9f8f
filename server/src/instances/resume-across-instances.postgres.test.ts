import { randomUUID } from 'node:crypto';
import type { SupportMessage } from '@chainlog/shared';
import { type TRPCClient, createTRPCClient, httpBatchLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, type FakeReply, startFakeProvider } from '../../test/fake-provider.js';
import type { ServerProcess } from '../../test/server-process.js';
import { querySchema, startSchemaInstance } from '../../test/shared-schema-instance.js';
import { dropSchemaStatement, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { schemaNameOf, triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';

// Three real server processes (`server/src/main.ts`, as `npm start` runs it) sharing one schema of CI's
// PostgreSQL: A runs 20 chains and is killed with SIGKILL in the middle of them; B and C resume them.

const CHAINS = 20;
const LEASE_MS = 1_000;
const TEST_TIMEOUT_MS = 150_000;
const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};

interface Instance {
  id: string;
  server: ServerProcess;
  api: TRPCClient<AppRouter>;
}

let fake: FakeProvider;
/** While true, entity extraction never answers: the chains wait in their second step. */
let entityHangs = true;
let schema: string;
const instances: Instance[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: (request): FakeReply => {
      if (entityHangs && schemaNameOf(request) === 'entity_extraction') return { kind: 'hang' };
      const reply = triageReply(request);
      return reply.kind === 'json' ? { ...reply, delayMs: 20 } : reply;
    },
  });
  schema = `test_resume_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(`create schema ${schema}`));
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  for (const { server } of instances) server.child.kill('SIGKILL');
  await Promise.all(instances.map(({ server }) => server.exited));
  await fake?.close();
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(dropSchemaStatement(schema)));
});

async function startInstance(): Promise<Instance> {
  const id = randomUUID();
  const server = await startSchemaInstance({
    databaseUrl: testDatabaseUrl(),
    schema,
    fake,
    instanceId: id,
    env: {
      CHAINLOG_MAX_RUNNING_CHAINS: String(CHAINS),
      CHAINLOG_INSTANCE_HEARTBEAT_MS: '200',
      CHAINLOG_INSTANCE_LEASE_MS: String(LEASE_MS),
    },
  });
  const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${server.url}/trpc` })] });
  const instance = { id, server, api };
  instances.push(instance);
  return instance;
}

const query = <Row>(text: string, values: unknown[] = []) => querySchema<Row>(testDatabaseUrl(), schema, text, values);

describe('an instance killed with SIGKILL while it runs 20 chains', () => {
  it(
    'has them all finished by the others: no finished call made again, no row pending, no chain running, one chain_finished each',
    async () => {
      // A alone first, so it takes every chain; B and C join once A runs them all.
      const a = await startInstance();
      const subjects = Array.from({ length: CHAINS }, (_, index) => `Where is my order? (${index})`);
      const chainIds: string[] = [];
      for (const subject of subjects) chainIds.push((await a.api.inbox.submit.mutate({ ...MESSAGE, subject })).chainId);
      await expect
        .poll(
          async () =>
            (await a.api.logs.list.query({ status: 'pending', name: 'entity extraction', limit: 100 })).items.length,
          { timeout: 30_000 },
        )
        .toBe(CHAINS);
      const [b, c] = await Promise.all([startInstance(), startInstance()]);

      const killedAt = Date.now();
      a.server.child.kill('SIGKILL');
      expect(await a.server.exited).toBe('SIGKILL');
      entityHangs = false;

      await expect
        .poll(
          async () =>
            (await query<{ count: string }>(`select count(*) from chain where status = 'succeeded'`))[0]?.count,
          { timeout: 60_000, interval: 100 },
        )
        .toBe(String(CHAINS));
      // Printed, not asserted: timing belongs to the bench.
      console.info(`all ${CHAINS} chains finished ${Date.now() - killedAt} ms after the kill (lease ${LEASE_MS} ms)`);

      expect(await query(`select id from inference_log where status = 'pending'`)).toEqual([]);
      expect(await query(`select id from chain where status <> 'succeeded'`)).toEqual([]);
      const finishedEvents = await query<{ chain_id: string; count: string }>(
        `select chain_id, count(*) from chain_event where type = 'chain_finished' group by chain_id`,
      );
      expect(finishedEvents.map((row) => [row.chain_id, row.count]).sort()).toEqual(
        chainIds.map((id) => [id, '1']).sort(),
      );
      const runners = await query<{ instance_id: string }>(`select distinct instance_id from chain`);
      expect(runners.every((row) => row.instance_id === b.id || row.instance_id === c.id)).toBe(true);

      for (const [index, chainId] of chainIds.entries()) {
        const asked = fake.requests.filter((request) => JSON.stringify(request.body).includes(subjects[index] ?? ''));
        const askedFor = (name: string) => asked.filter((request) => schemaNameOf(request) === name);
        // Finished before the kill: asked once. Cut off: asked again, once.
        expect({ chainId, intent: askedFor('intent_recognition').length }).toEqual({ chainId, intent: 1 });
        expect({ chainId, reply: askedFor('reply_drafting').length }).toEqual({ chainId, reply: 1 });
        // Entity extraction: A's cut-off call, then once by the instance that resumed the chain; once more only if
        // that instance's lease lapsed while it asked (a starved process on a loaded machine) and the other took the
        // chain over. So every request is an attempt of its own in the log (none an SDK retry), no instance asked
        // twice, and the last attempt answered.
        const entityRows = await query<{ instance_id: string; status: string; created_at: Date }>(
          `select instance_id, status, created_at from inference_log where chain_id = $1 and name = 'entity extraction' order by created_at`,
          [chainId],
        );
        const entityRequests = askedFor('entity_extraction');
        expect({ chainId, entities: entityRequests.length }).toEqual({ chainId, entities: entityRows.length });
        expect(entityRequests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(
          entityRequests.map(() => '0'),
        );
        expect(entityRows[0]?.instance_id).toBe(a.id);
        expect(new Set(entityRows.map((row) => row.instance_id)).size).toBe(entityRows.length);
        expect(entityRows.at(-1)?.status).toBe('ok');
        // A takeover comes a lease after the attempt it takes over from (that instance went unheard that long); two
        // instances resuming one chain at once would ask within milliseconds of each other.
        for (const [index, row] of entityRows.entries()) {
          const before = entityRows[index - 1];
          if (index < 2 || !before) continue;
          expect(row.created_at.getTime() - before.created_at.getTime()).toBeGreaterThanOrEqual(LEASE_MS / 2);
          console.info(`chain ${chainId} was taken over from an instance whose lease lapsed`);
        }
        const domain = await query<{ triages: string; drafts: string }>(
          `select (select count(*) from triage where chain_id = $1) as triages, (select count(*) from reply_draft where chain_id = $1) as drafts`,
          [chainId],
        );
        expect(domain).toEqual([{ triages: '1', drafts: '1' }]);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
