import type { SupportMessage } from '@chainlog/shared';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type FakeProvider, type FakeReply, startFakeProvider } from '../../test/fake-provider.js';
import { within } from '../../test/llm-harness.js';
import type { ServerProcess } from '../../test/server-process.js';
import { querySchema, startSchemaInstance } from '../../test/shared-schema-instance.js';
import { dropSchemaStatement, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { triageReply } from '../../test/triage-replies.js';
import type { AppRouter } from '../routers/app.js';
import { uuidv7 } from '../uuid-v7.js';

// Three real server processes on one schema of CI's PostgreSQL, restarted one at a time with SIGTERM while chains
// are submitted all along and followed over WebSockets that reconnect to whichever instance is up (the test plays
// the load balancer). Each drain is shorter than a chain, so chains are handed back and resumed elsewhere too.

type RouterOutputs = inferRouterOutputs<AppRouter>;
type ChainEvent = RouterOutputs['chains']['events'] extends AsyncIterable<{ data: infer Event }> ? Event : never;

// Node 20 has no global WebSocket; ws's type lacks the DOM-only dispatchEvent, which tRPC never calls.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
const MESSAGE: SupportMessage = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
const TEST_TIMEOUT_MS = 180_000;

interface Instance {
  id: string;
  server: ServerProcess;
}

let fake: FakeProvider;
let schema: string;
const live = new Map<string, Instance>();
const everyProcess: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({
    respond: (request): FakeReply => {
      const reply = triageReply(request);
      // A call outlasts the 300 ms drain, so each restart cuts off the chains it runs (at 150 ms a busy CI machine
      // once let every drain finish its chains, and the abort path went untested).
      return reply.kind === 'json' ? { ...reply, delayMs: 400 } : reply;
    },
  });
  schema = `test_rolling_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(`create schema ${schema}`));
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  for (const server of everyProcess) server.child.kill('SIGKILL');
  await Promise.all(everyProcess.map((server) => server.exited));
  await fake?.close();
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(dropSchemaStatement(schema)));
});

async function startInstance(id: string): Promise<Instance> {
  const server = await startSchemaInstance({
    databaseUrl: testDatabaseUrl(),
    schema,
    fake,
    instanceId: id,
    env: {
      CHAINLOG_MAX_RUNNING_CHAINS: '16',
      CHAINLOG_SHUTDOWN_TIMEOUT_MS: '300',
      CHAINLOG_INSTANCE_HEARTBEAT_MS: '200',
      CHAINLOG_INSTANCE_LEASE_MS: '1000',
    },
  });
  everyProcess.push(server);
  const instance = { id, server };
  live.set(id, instance);
  return instance;
}

let turn = 0;
/** A live instance, taken in turn: what a load balancer would pick. */
function pickLive(): Instance {
  const instances = [...live.values()];
  const instance = instances[turn++ % instances.length];
  if (!instance) throw new Error('no instance is up');
  return instance;
}

/** inbox.submit on a live instance: the chain id when it was acknowledged, undefined when it was refused. */
async function submit(): Promise<string | undefined> {
  try {
    const response = await fetch(`${pickLive().server.url}/trpc/inbox.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(MESSAGE),
    });
    if (!response.ok) return undefined;
    const { result } = (await response.json()) as { result: { data: { chainId: string } } };
    return result.data.chainId;
  } catch {
    return undefined;
  }
}

/** Follows one chain over a WebSocket that reconnects, through the "load balancer", to a live instance. */
function follow(chainId: string): {
  events: ChainEvent[];
  errors: unknown[];
  done: Promise<void>;
  close(): Promise<void>;
} {
  const wsClient = createWSClient({
    url: () => `${pickLive().server.url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: NodeWebSocket,
    retryDelayMs: () => 100,
  });
  const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  const events: ChainEvent[] = [];
  const errors: unknown[] = [];
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  api.chains.events.subscribe(
    { chainId },
    {
      onData: ({ data }) => events.push(data),
      onError: (error) => {
        errors.push(error);
        finished();
      },
      onComplete: () => finished(),
    },
  );
  return { events, errors, done, close: () => wsClient.close() };
}

const query = <Row>(text: string, values: unknown[] = []) => querySchema<Row>(testDatabaseUrl(), schema, text, values);

describe('a rolling restart of three instances under a steady stream of submissions', () => {
  it(
    'finishes every acknowledged chain, each once, and followers that reconnect with lastEventId miss no event and see none twice',
    async () => {
      const ids: [string, string, string] = [uuidv7(), uuidv7(), uuidv7()];
      await startInstance(ids[0]);
      await Promise.all([startInstance(ids[1]), startInstance(ids[2])]);

      const acknowledged: string[] = [];
      let refused = 0;
      const followers: ReturnType<typeof follow>[] = [];
      let submitting = true;
      const submitter = (async () => {
        while (submitting) {
          const chainId = await submit();
          if (chainId === undefined) refused++;
          else {
            acknowledged.push(chainId);
            if (acknowledged.length % 3 === 1) followers.push(follow(chainId));
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (const id of ids) {
        const instance = live.get(id);
        if (!instance) throw new Error(`instance ${id} is not up`);
        // Out of the "load balancer" first, as a real one takes a draining instance out.
        live.delete(id);
        instance.server.child.kill('SIGTERM');
        expect(await instance.server.exited).toBe(0);
        await startInstance(id);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      submitting = false;
      await submitter;

      console.info(
        `rolling restart: ${acknowledged.length} submissions acknowledged, ${refused} refused (sent to an instance on its way down)`,
      );
      expect(acknowledged.length).toBeGreaterThan(30);
      await expect
        .poll(
          async () =>
            (await query<{ count: string }>(`select count(*) from chain where status = 'succeeded'`))[0]?.count,
          { timeout: 60_000, interval: 200 },
        )
        .toBe(String(acknowledged.length));
      expect(await query(`select id from inference_log where status = 'pending'`)).toEqual([]);
      // Drains shorter than a chain: some calls were aborted by a shutdown and made again, as their next attempt, by
      // the instance that resumed their chain.
      const resumed = await query<{ chain_id: string; name: string; attempts: string }>(
        `select chain_id, name, count(*) as attempts from inference_log
         where chain_id in (select chain_id from inference_log where error->>'class' = 'AbortedError')
         group by chain_id, name having bool_or(error->>'class' = 'AbortedError')`,
      );
      console.info(
        `rolling restart: ${resumed.length} calls cut off by a drain and made again after their chain was handed back`,
      );
      expect(resumed.length).toBeGreaterThan(0);
      const okAfterAbort = await query<{ count: string }>(
        `select count(*) from inference_log as later where later.status = 'ok' and exists (
           select 1 from inference_log as cut where cut.error->>'class' = 'AbortedError' and cut.chain_id = later.chain_id
             and cut.name = later.name and later.attempt = cut.attempt + 1
             -- The instance that resumed it went on with the cut-off call.
             and later.call_id = coalesce(cut.call_id, cut.id))`,
      );
      expect(Number(okAfterAbort[0]?.count)).toBe(resumed.length);
      const finishedEvents = await query<{ chain_id: string; count: string }>(
        `select chain_id, count(*) from chain_event where type = 'chain_finished' group by chain_id`,
      );
      expect(finishedEvents.map((row) => [row.chain_id, row.count]).sort()).toEqual(
        acknowledged.map((id) => [id, '1']).sort(),
      );

      for (const follower of followers) await within(follower.done, 30_000, 'a follower to see its chain finish');
      for (const [index, follower] of followers.entries()) {
        const chainId = acknowledged[index * 3];
        const stored = await query<{ id: string }>(
          `select id::text as id from chain_event where chain_id = $1 order by chain_event.id`,
          [chainId],
        );
        expect(follower.errors).toEqual([]);
        // Every stored event, each once, in id order, across the reconnects.
        expect(follower.events.map((event) => event.id)).toEqual(stored.map((row) => row.id));
      }
      await Promise.all(followers.map((follower) => follower.close()));
    },
    TEST_TIMEOUT_MS,
  );
});
