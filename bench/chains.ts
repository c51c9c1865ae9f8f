/**
 * Durable chains on several instances: real server processes (as `npm start` runs them) sharing one scratch schema of
 * a PostgreSQL server, the fake provider answering every call after 200 ms.
 * - Throughput: N demo chains (3 calls each) submitted round robin to 1 and to 3 instances; chains/s from the first
 *   submission to the last chain's end, and the ratio.
 * - Resume: one instance runs 20 chains in their second step and is killed with SIGKILL; the time until the other two
 *   have finished them all, beside the lease they wait out.
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/chains.ts [chains]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { readProcessCpuMs, readProcessName } from './process-cpu.js';
import { type FakeReply, startFakeProvider } from '../server/test/fake-provider.js';
import type { ServerProcess } from '../server/test/server-process.js';
import { startSchemaInstance } from '../server/test/shared-schema-instance.js';
import { schemaNameOf, triageReply } from '../server/test/triage-replies.js';

const url =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHAINS = Number(process.argv[2] ?? 240);
const RUNNING_PER_INSTANCE = 16;
const PROVIDER_DELAY_MS = 200;
const LEASE_MS = 2_000;
const HEARTBEAT_MS = 500;

let entityHangs = false;
const fake = await startFakeProvider({
  respond: (request): FakeReply => {
    if (entityHangs && schemaNameOf(request) === 'entity_extraction') return { kind: 'hang' };
    const reply = triageReply(request);
    return reply.kind === 'json' ? { ...reply, delayMs: PROVIDER_DELAY_MS } : reply;
  },
});
const admin = new pg.Client({ connectionString: url });
await admin.connect();

interface Instance {
  server: ServerProcess;
  submit(subject: string): Promise<string>;
}

async function withSchema<T>(work: (schema: string) => Promise<T>): Promise<T> {
  const schema = `bench_chains_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`create schema ${schema}`);
  try {
    return await work(schema);
  } finally {
    await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  }
}

async function startInstance(
  schema: string,
  started: ServerProcess[],
  runningAtOnce = RUNNING_PER_INSTANCE,
): Promise<Instance> {
  const server = await startSchemaInstance({
    databaseUrl: url,
    schema,
    fake,
    instanceId: randomUUID(),
    env: {
      CHAINLOG_MAX_RUNNING_CHAINS: String(runningAtOnce),
      CHAINLOG_MAX_WAITING_CHAINS: '100000',
      CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE: '1000000',
      CHAINLOG_INSTANCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      CHAINLOG_INSTANCE_LEASE_MS: String(LEASE_MS),
    },
  });
  started.push(server);
  return {
    server,
    async submit(subject) {
      const response = await fetch(`${server.url}/trpc/inbox.submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'ada@example.com', subject, body: 'Order A-1042 has not arrived.' }),
      });
      if (!response.ok) throw new Error(`inbox.submit answered ${response.status}: ${await response.text()}`);
      const { result } = (await response.json()) as { result: { data: { chainId: string } } };
      return result.data.chainId;
    },
  };
}

async function stopAll(servers: ServerProcess[]): Promise<void> {
  for (const server of servers) server.child.kill('SIGKILL');
  await Promise.all(servers.map((server) => server.exited));
}

async function countSucceeded(schema: string): Promise<number> {
  const { rows } = await admin.query<{ count: string }>(
    `select count(*) from ${schema}.chain where status = 'succeeded'`,
  );
  return Number(rows[0]?.count ?? 0);
}

async function waitForSucceeded(schema: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await countSucceeded(schema)) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} chains succeeded within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The machine's CPU time so far (every process: servers, PostgreSQL, the fake, this bench), in ms, and its cores. */
function machineCpu(): { busyMs: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = (lines[0] ?? '').trim().split(/\s+/).map(Number);
  const ticks = user + nice + system + irq + softirq;
  return { busyMs: (ticks * 1000) / 100, cores: lines.filter((line) => /^cpu\d/.test(line)).length };
}

/** CPU ms so far of the servers, of every PostgreSQL process, and of this process (the bench and the fake). */
function cpuByRole(servers: ServerProcess[]): { servers: number; postgres: number; bench: number } {
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + (readProcessCpuMs(pid) ?? 0), 0);
  const postgres = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => readProcessName(pid) === 'postgres');
  return {
    servers: sum(servers.flatMap((server) => server.child.pid ?? [])),
    postgres: sum(postgres),
    bench: sum([process.pid]),
  };
}

interface Throughput {
  chainsPerSecond: number;
  /** Of all the machine's cores, how busy they were over the run. */
  busy: number;
  /** CPU time of the whole machine per chain, in ms. */
  cpuMsPerChain: number;
  /** Of that, the servers', PostgreSQL's and the bench's (with the fake), per chain. */
  byRole: { servers: number; postgres: number; bench: number };
}

/** Chains per second over `instanceCount` instances, from the first submission to the last chain's end. */
async function throughput(instanceCount: number): Promise<Throughput> {
  return withSchema(async (schema) => {
    const servers: ServerProcess[] = [];
    try {
      // One first, so only one process creates the schema's tables.
      const instances = [await startInstance(schema, servers)];
      instances.push(
        ...(await Promise.all(Array.from({ length: instanceCount - 1 }, () => startInstance(schema, servers)))),
      );
      const startedAt = Date.now();
      const cpuBefore = machineCpu();
      const rolesBefore = cpuByRole(servers);
      await Promise.all(
        Array.from({ length: CHAINS }, (_, index) => {
          const instance = instances[index % instanceCount];
          if (!instance) throw new Error('no instance to submit to');
          return instance.submit(`Where is my order? (${index})`);
        }),
      );
      await waitForSucceeded(schema, CHAINS, 300_000);
      const { rows } = await admin.query<{ last: Date }>(`select max(finished_at) as last from ${schema}.chain`);
      const cpuAfter = machineCpu();
      const rolesAfter = cpuByRole(servers);
      const wallMs = Date.now() - startedAt;
      const seconds = ((rows[0]?.last.getTime() ?? Date.now()) - startedAt) / 1000;
      const busyMs = cpuAfter.busyMs - cpuBefore.busyMs;
      return {
        chainsPerSecond: CHAINS / seconds,
        busy: busyMs / (wallMs * cpuAfter.cores),
        cpuMsPerChain: busyMs / CHAINS,
        byRole: {
          servers: (rolesAfter.servers - rolesBefore.servers) / CHAINS,
          postgres: (rolesAfter.postgres - rolesBefore.postgres) / CHAINS,
          bench: (rolesAfter.bench - rolesBefore.bench) / CHAINS,
        },
      };
    } finally {
      await stopAll(servers);
    }
  });
}

/** Ms from SIGKILL of the instance running 20 chains to the last of them finished by the two others. */
async function resumeDelay(): Promise<number> {
  return withSchema(async (schema) => {
    const servers: ServerProcess[] = [];
    try {
      entityHangs = true;
      const a = await startInstance(schema, servers, 20);
      for (let index = 0; index < 20; index++) await a.submit(`Resume me (${index})`);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await admin.query<{ count: string }>(
          `select count(*) from ${schema}.inference_log where status = 'pending' and name = 'entity extraction'`,
        );
        if (Number(rows[0]?.count) === 20) break;
        if (Date.now() > deadline) throw new Error('the 20 chains did not reach their second step');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.all([startInstance(schema, servers), startInstance(schema, servers)]);
      const killedAt = Date.now();
      a.server.child.kill('SIGKILL');
      await a.server.exited;
      entityHangs = false;
      await waitForSucceeded(schema, 20, 120_000);
      return Date.now() - killedAt;
    } finally {
      entityHangs = false;
      await stopAll(servers);
    }
  });
}

try {
  console.log(
    `durable chains on PostgreSQL, fake provider answering in ${PROVIDER_DELAY_MS} ms, 3 calls a chain, ${RUNNING_PER_INSTANCE} chains at once per instance (node ${process.version})`,
  );
  const describe = (result: Throughput) =>
    `${result.chainsPerSecond.toFixed(1)} chains/s (${CHAINS} chains), CPU ${(result.busy * 100).toFixed(0)} % of the machine's cores busy, ${result.cpuMsPerChain.toFixed(1)} ms CPU per chain (servers ${result.byRole.servers.toFixed(1)}, PostgreSQL ${result.byRole.postgres.toFixed(1)}, bench and fake ${result.byRole.bench.toFixed(1)}, the rest of the machine ${(result.cpuMsPerChain - result.byRole.servers - result.byRole.postgres - result.byRole.bench).toFixed(1)})`;
  const one = await throughput(1);
  console.log(`  1 instance : ${describe(one)}`);
  const three = await throughput(3);
  console.log(
    `  3 instances: ${describe(three)}; ${(three.chainsPerSecond / one.chainsPerSecond).toFixed(2)}x one instance`,
  );
  const { cores } = machineCpu();
  console.log(
    `  this machine's ceiling at the 3-instance CPU cost: ${((cores * 1000) / three.cpuMsPerChain).toFixed(1)} chains/s (${cores} cores); the provider's ceiling for 3 x ${RUNNING_PER_INSTANCE} chains at once: ${((3 * RUNNING_PER_INSTANCE * 1000) / (3 * PROVIDER_DELAY_MS)).toFixed(1)} chains/s`,
  );
  const delay = await resumeDelay();
  console.log(
    `  resume after SIGKILL of the instance running 20 chains: all finished ${delay} ms after the kill (lease ${LEASE_MS} ms, heartbeat ${HEARTBEAT_MS} ms)`,
  );
} finally {
  await admin.end();
  await fake.close();
}
