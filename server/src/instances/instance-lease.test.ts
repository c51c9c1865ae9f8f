import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle, Db } from '../db/client.js';
import { chainFinished } from '../chains/chain-events.js';
import { findChain, finishChain, insertChain } from '../db/queries/chains.js';
import { DatabaseStatus } from '../db/database-status.js';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { findInstanceLife, listInstances, registerInstance, touchInstance } from '../db/queries/instances.js';
import { InstanceIdInUseError } from './earlier-life.js';
import type { NewInferenceLog } from '../db/tables/inference-log.js';
import { newChainId } from '../llm/chain-context.js';
import { uuidv7 } from '../uuid-v7.js';
import { ChainJobs } from '../chains/jobs/chain-jobs.js';
import { InstanceLease } from './instance-lease.js';

let database: DatabaseHandle;
let jobs: ChainJobs;
beforeAll(async () => {
  database = await openTestDatabase();
  jobs = await ChainJobs.start(database, { supervise: false });
});
afterAll(() => database.close());

/** An instance row as a process that started earlier wrote it; `heartbeatAgoMs` ages its heartbeat. */
async function otherInstance(db: Db, options: { heartbeatAgoMs: number; stopped?: boolean }): Promise<string> {
  const id = uuidv7();
  await registerInstance(db, { id, role: 'server', hostname: 'elsewhere', pid: 4242 });
  await sql`update instance set heartbeat_at = now() - ${options.heartbeatAgoMs}::double precision * interval '1 millisecond',
    stopped_at = ${options.stopped ? sql`now()` : null} where id = ${id}`.execute(db);
  return id;
}

async function pendingRow(db: Db, instanceId: string | null, createdAgoMs = 0): Promise<string> {
  const row: NewInferenceLog = {
    id: uuidv7(),
    chain_id: newChainId(),
    name: 'intent recognition',
    provider: 'offline',
    model: 'default',
    status: 'pending',
    attempt: 1,
    request: JSON.stringify({ messages: [] }),
    instance_id: instanceId,
    created_at: new Date(Date.now() - createdAgoMs),
  };
  await db.insertInto('inference_log').values(row).execute();
  return row.id;
}

async function runningChain(db: Db, instanceId: string | null): Promise<string> {
  const id = newChainId();
  await insertChain(db, {
    id,
    name: 'left over',
    status: 'running',
    input: JSON.stringify({}),
    instance_id: instanceId,
  });
  return id;
}

async function waitUntilServerUpFor(db: Db, ms: number): Promise<void> {
  const up = await serverUpMs(db);
  if (up < ms) await new Promise((resolve) => setTimeout(resolve, ms - up + 50));
}

/** How long the database server has been up, in ms. */
async function serverUpMs(db: Db): Promise<number> {
  const { rows } = await sql<{
    up: number;
  }>`select extract(epoch from now() - pg_postmaster_start_time()) * 1000 as up`.execute(db);
  return Number(rows[0]?.up);
}

const statusOf = async (db: Db, id: string) =>
  await db.selectFrom('inference_log').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();

async function lifeOf(id: string): Promise<string | null | undefined> {
  return (await findInstanceLife(database.db, id))?.life_id;
}

function startLease(options: {
  exclusive: boolean;
  heartbeatMs?: number;
  leaseMs?: number;
  id?: string;
}): Promise<InstanceLease> {
  return InstanceLease.start({
    jobs,
    db: database.db,
    status: database.status,
    id: options.id ?? uuidv7(),
    role: 'server',
    heartbeatMs: options.heartbeatMs ?? 60_000,
    leaseMs: options.leaseMs ?? 10_000,
    exclusive: options.exclusive,
  });
}

describe('an instance lease, on start', () => {
  it('ends the pending rows and running chains of instances that stopped, then of those whose heartbeat lapsed, and only theirs', async () => {
    const db = database.db;
    // A lease counts from the server's start: before any row is made, the server is up well past one, so `lapsed`
    // is dead by more than a hair when the sweeps run.
    await waitUntilServerUpFor(db, 4_500);
    const lapsed = await otherInstance(db, { heartbeatAgoMs: 60_000 });
    const stopped = await otherInstance(db, { heartbeatAgoMs: 0, stopped: true });
    const alive = await otherInstance(db, { heartbeatAgoMs: 100 });
    const rows = {
      lapsed: await pendingRow(db, lapsed),
      stopped: await pendingRow(db, stopped),
      alive: await pendingRow(db, alive),
      oldWithoutInstance: await pendingRow(db, null, 60_000),
      newWithoutInstance: await pendingRow(db, null),
    };
    const finishedRow = await pendingRow(db, lapsed);
    await db
      .updateTable('inference_log')
      .set({ status: 'ok', output: JSON.stringify({ done: true }) })
      .where('id', '=', finishedRow)
      .execute();
    const chains = {
      lapsed: await runningChain(db, lapsed),
      alive: await runningChain(db, alive),
      finished: await runningChain(db, lapsed),
    };
    await finishChain(db, chains.finished, chainFinished('succeeded', null));

    // A database server that started less than a lease ago heard nobody before: nothing has lapsed yet.
    // A lease long enough that `alive` (100 ms) stays alive through both sweeps on a loaded machine.
    const lease = await startLease({ exclusive: false, leaseMs: 3_000 });

    // At start only what stopped instances left: a lapse may be an outage's, which a new process cannot tell.
    expect((await statusOf(db, rows.stopped)).status).toBe('error');
    expect((await statusOf(db, rows.lapsed)).status).toBe('pending');
    expect((await findChain(db, chains.lapsed))?.status).toBe('running');
    await lease.sweep();
    for (const id of [rows.lapsed, rows.stopped, rows.oldWithoutInstance]) {
      expect(await statusOf(db, id)).toEqual({
        status: 'error',
        error: expect.objectContaining({ class: 'InterruptedError', code: 'interrupted' }),
      });
    }
    for (const id of [rows.alive, rows.newWithoutInstance]) expect((await statusOf(db, id)).status).toBe('pending');
    expect(await statusOf(db, finishedRow)).toEqual({ status: 'ok', error: null });
    expect(await findChain(db, chains.lapsed)).toMatchObject({
      status: 'interrupted',
      error: { class: 'Interrupted' },
    });
    expect((await findChain(db, chains.alive))?.status).toBe('running');
    expect((await findChain(db, chains.finished))?.status).toBe('succeeded');
    await lease.stop();
    // Leave nothing pending for the other tests of this file.
    await startLease({ exclusive: true }).then((cleaner) => cleaner.stop());
  });

  it('with the database to itself (PGlite), ends every other instance’s leftovers at once, however fresh their heartbeat', async () => {
    const db = database.db;
    const justKilled = await otherInstance(db, { heartbeatAgoMs: 0 });
    const row = await pendingRow(db, justKilled);
    const chain = await runningChain(db, justKilled);

    const lease = await startLease({ exclusive: true });
    const own = await pendingRow(db, lease.id);
    await lease.sweep();

    expect((await statusOf(db, row)).status).toBe('error');
    expect((await findChain(db, chain))?.status).toBe('interrupted');
    expect((await statusOf(db, own)).status).toBe('pending');
    await lease.stop();
  });

  it('counts a lease from the database server’s start when that is later than the heartbeat: a restarted server heard nobody', async () => {
    const db = database.db;
    const upMs = await serverUpMs(db);
    const beforeStart = await otherInstance(db, { heartbeatAgoMs: upMs + 3_600_000 });
    const row = await pendingRow(db, beforeStart);

    const lease = await startLease({ exclusive: false, leaseMs: upMs + 60_000 });
    expect((await statusOf(db, row)).status).toBe('pending');
    await lease.stop();
    await startLease({ exclusive: true }).then((cleaner) => cleaner.stop());
  });
});

describe('an instance lease under a fixed CHAINLOG_INSTANCE_ID', () => {
  it('takes over its row when the process starts again with the same id after a clean stop', async () => {
    const id = uuidv7();
    const first = await startLease({ exclusive: false, id });
    await first.stop();

    const second = await startLease({ exclusive: false, id });

    expect((await listInstances(database.db)).filter((instance) => instance.id === id)).toEqual([
      expect.objectContaining({ id, pid: process.pid, stopped_at: null }),
    ]);
    await second.stop();
  });

  it.each([false, true])(
    'ends, as it starts again, what the same id left pending and running when its process died (database to itself: %s)',
    async (exclusive) => {
      const db = database.db;
      // The previous life: registered, heartbeat fresh (killed a moment ago), a call and a chain in the middle. Same
      // host and pid: a container restarted, so the earlier life cannot be running.
      const id = uuidv7();
      await registerInstance(db, { id, role: 'server', hostname: hostname(), pid: process.pid, life_id: randomUUID() });
      const row = await pendingRow(db, id);
      const chain = await runningChain(db, id);
      const alive = await otherInstance(db, { heartbeatAgoMs: 0 });
      const othersRow = await pendingRow(db, alive);

      const lease = await startLease({ exclusive, id });

      expect(await statusOf(db, row)).toEqual({
        status: 'error',
        error: expect.objectContaining({ class: 'InterruptedError' }),
      });
      expect(await findChain(db, chain)).toMatchObject({ status: 'interrupted', error: { class: 'Interrupted' } });
      // Its own rows of this life are its own again: a later sweep leaves them alone.
      const own = await pendingRow(db, id);
      await lease.sweep();
      expect((await statusOf(db, own)).status).toBe('pending');
      if (!exclusive) expect((await statusOf(db, othersRow)).status).toBe('pending');
      await lease.stop();
      // Leave nothing pending for the other tests of this file.
      await startLease({ exclusive: true }).then((cleaner) => cleaner.stop());
    },
  );
});

describe('an instance lease under an id another process may hold', () => {
  it('starts at once when the earlier life ran on this host and its process is gone', async () => {
    const id = uuidv7();
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await registerInstance(database.db, { id, role: 'server', hostname: hostname(), pid: gone, life_id: randomUUID() });
    // A lease this long would time the test out if the start waited for it.
    const lease = await startLease({ exclusive: false, id, leaseMs: 600_000 });
    expect(await lifeOf(id)).toBe(lease.lifeId);
    await lease.stop();
  });

  it('waits out the lease of an earlier life heard from another host, then ends what it left', async () => {
    const id = uuidv7();
    await registerInstance(database.db, {
      id,
      role: 'server',
      hostname: 'elsewhere',
      pid: 4242,
      life_id: randomUUID(),
    });
    const row = await pendingRow(database.db, id);

    const lease = await startLease({ exclusive: false, id, heartbeatMs: 100, leaseMs: 600 });

    expect(await lifeOf(id)).toBe(lease.lifeId);
    expect((await statusOf(database.db, row)).status).toBe('error');
    await lease.stop();
  });

  it('refuses to start while another live process renews the heartbeat of the same id, and leaves its work alone', async () => {
    const id = uuidv7();
    const otherLife = randomUUID();
    await registerInstance(database.db, { id, role: 'server', hostname: 'elsewhere', pid: 4242, life_id: otherLife });
    const row = await pendingRow(database.db, id);
    const beating = setInterval(() => {
      void touchInstance(database.db, id, otherLife);
    }, 50);
    try {
      await expect(startLease({ exclusive: false, id, heartbeatMs: 100, leaseMs: 1_000 })).rejects.toThrow(
        InstanceIdInUseError,
      );
    } finally {
      clearInterval(beating);
    }
    expect(await lifeOf(id)).toBe(otherLife);
    expect((await statusOf(database.db, row)).status).toBe('pending');
    await sql`update inference_log set status = 'error' where id = ${row}`.execute(database.db);
  });

  it('tells its process when another life took its id over, and stops its heartbeat', async () => {
    const id = uuidv7();
    const lease = await startLease({ exclusive: false, id, heartbeatMs: 50, leaseMs: 1_000 });
    const takenOver = new Promise<void>((resolve) => lease.onTakenOver(resolve));
    const newLife = randomUUID();
    await registerInstance(database.db, { id, role: 'server', hostname: 'elsewhere', pid: 4343, life_id: newLife });

    await takenOver;
    await lease.stop();
    // Its stop did not mark the new life stopped.
    expect(await findInstanceLife(database.db, id)).toMatchObject({ life_id: newLife, stopped: false });
  });
});

describe('an instance lease, while it runs', () => {
  it('keeps its heartbeat fresh, ends what an instance left once its heartbeat lapses, and announces the chains it interrupts', async () => {
    const db = database.db;
    const lease = await startLease({ exclusive: false, heartbeatMs: 100, leaseMs: 1_000 });
    const announced: string[] = [];
    lease.onChainFinished((event) => announced.push(event.chain_id));
    const dying = await otherInstance(db, { heartbeatAgoMs: 0 });
    const row = await pendingRow(db, dying);
    const chain = await runningChain(db, dying);
    const startedAt = await db
      .selectFrom('instance')
      .select('heartbeat_at')
      .where('id', '=', lease.id)
      .executeTakeFirstOrThrow();

    // `dying` never beats again: within a lease and a beat its leftovers are ended.
    await expect.poll(async () => (await statusOf(db, row)).status, { timeout: 10_000, interval: 100 }).toBe('error');
    await expect.poll(() => announced, { timeout: 5_000 }).toEqual([chain]);
    const renewed = await db
      .selectFrom('instance')
      .select('heartbeat_at')
      .where('id', '=', lease.id)
      .executeTakeFirstOrThrow();
    expect(renewed.heartbeat_at.getTime()).toBeGreaterThan(startedAt.heartbeat_at.getTime());

    await lease.stop();
    const stopped = await db
      .selectFrom('instance')
      .select('stopped_at')
      .where('id', '=', lease.id)
      .executeTakeFirstOrThrow();
    expect(stopped.stopped_at).toBeInstanceOf(Date);
  });
});

describe('an instance lease, just started', () => {
  it('waits a whole lease after its start before it takes an instance whose heartbeat lapsed for dead', async () => {
    const db = database.db;
    const silent = await otherInstance(db, { heartbeatAgoMs: 5_000 });
    const row = await pendingRow(db, silent);
    await waitUntilServerUpFor(db, 1_500);

    const lease = await startLease({ exclusive: false, heartbeatMs: 50, leaseMs: 1_500 });

    // Beats go by inside the first lease (the outage that restarted this process may be why the other is silent).
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await statusOf(db, row)).status).toBe('pending');
    await expect.poll(async () => (await statusOf(db, row)).status, { timeout: 10_000, interval: 100 }).toBe('error');
    await lease.stop();
  });
});

describe('an instance lease, after the database was unreachable', () => {
  it('waits a whole lease after the database came back before it takes an instance whose heartbeat lapsed for dead', async () => {
    const db = database.db;
    const status = new DatabaseStatus(async () => {}, 10);
    const lease = await InstanceLease.start({
      jobs,
      db,
      status,
      id: uuidv7(),
      role: 'server',
      heartbeatMs: 50,
      leaseMs: 1_500,
      exclusive: false,
    });
    status.reportFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await status.waitUntilUp(5_000)).toBe(true);
    // Its heartbeat lapsed during the outage only because nobody could write it.
    const silent = await otherInstance(db, { heartbeatAgoMs: 5_000 });
    const row = await pendingRow(db, silent);

    // Several beats go by inside the lease: the row is left alone (the instance may well be alive and renewing).
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await statusOf(db, row)).status).toBe('pending');
    // It never renews: once the database has answered for a lease, its leftovers are ended.
    await expect.poll(async () => (await statusOf(db, row)).status, { timeout: 10_000, interval: 100 }).toBe('error');
    await lease.stop();
    status.close();
  });
});
