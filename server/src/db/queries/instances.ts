import { sql } from 'kysely';
import { CHAIN_QUEUE } from '../jobs-schema.js';
import type { Db } from '../client.js';
import { toJsonb } from '../jsonb.js';
import type { InstanceRole, InstanceRow } from '../tables/instance.js';

/**
 * Registers a process; one that starts again under its configured id (CHAINLOG_INSTANCE_ID) takes over the row its
 * previous life left, stopped or not: it starts, beats and runs afresh from now.
 */
export async function registerInstance(
  db: Db,
  instance: { id: string; role: InstanceRole; hostname: string; pid: number; life_id?: string },
): Promise<void> {
  const now = sql<Date>`now()`;
  await db
    .insertInto('instance')
    .values(instance)
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({
        role: instance.role,
        hostname: instance.hostname,
        pid: instance.pid,
        life_id: instance.life_id ?? null,
        started_at: now,
        heartbeat_at: now,
        stopped_at: null,
      }),
    )
    .execute();
}

/** What an id's row says of the life that last used it, with its heartbeat's age by the database's clock. */
export interface InstanceLife {
  hostname: string;
  pid: number;
  life_id: string | null;
  heartbeat_at: Date;
  heartbeat_age_ms: number;
  stopped: boolean;
}

export async function findInstanceLife(db: Db, id: string): Promise<InstanceLife | undefined> {
  return db
    .selectFrom('instance')
    .select(['hostname', 'pid', 'life_id', 'heartbeat_at', heartbeatAgeMs().as('heartbeat_age_ms')])
    .select(sql<boolean>`stopped_at is not null`.as('stopped'))
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Times are the database's own, so instances on hosts whose clocks differ judge each other alike. False when the
 * row belongs to another life of the id now: another process took it over.
 */
export async function touchInstance(db: Db, id: string, lifeId: string): Promise<boolean> {
  const result = await db
    .updateTable('instance')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('life_id', '=', lifeId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function markInstanceStopped(db: Db, id: string, lifeId: string): Promise<void> {
  await db
    .updateTable('instance')
    .set({ stopped_at: sql<Date>`now()`, heartbeat_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('life_id', '=', lifeId)
    .execute();
}

/**
 * Which rows count as left behind by a dead process. `exclusive`: this process is the only one that can use the
 * database (PGlite), so every other instance is dead. Otherwise an instance is dead once it said it stopped or its
 * heartbeat is older than the lease, counted from the database server's start if that is later; a row with no
 * instance (written before instances existed, or by code that names none) is left behind once it is older than
 * the lease.
 */
export interface DeadInstanceRule {
  self: string;
  leaseMs: number;
  exclusive: boolean;
  /**
   * Rows under `self` count as dead too: at start, before this process has written anything, what its id holds was
   * left by an earlier life of the same configured id (a restart after a crash).
   */
  selfStarting?: boolean;
}

function ownedByDeadInstance(rule: DeadInstanceRule) {
  const lease = sql`now() - ${rule.leaseMs}::double precision * interval '1 millisecond'`;
  if (rule.exclusive)
    return rule.selfStarting ? sql<boolean>`true` : sql<boolean>`instance_id is distinct from ${rule.self}`;
  const earlierLife = rule.selfStarting ? sql`or instance_id = ${rule.self}` : sql``;
  // A restarted PostgreSQL heard nobody while it was down: the lease counts from its start at the earliest.
  // Parenthesised whole: Kysely joins raw conditions to the others with `and` as they are.
  // A process just started has not seen the database for a lease: a lapse it finds may be an outage's (one that
  // restarted it, say) rather than a death, so it ends only what stopped instances and its own earlier life left.
  const lapsed = rule.selfStarting ? sql`` : sql`or greatest(heartbeat_at, pg_postmaster_start_time()) < ${lease}`;
  return sql<boolean>`((instance_id is null and created_at < ${lease}) ${earlierLife} or instance_id in (
    select id from instance where id <> ${rule.self} and (stopped_at is not null ${lapsed})))`;
}

/** Ends the pending rows of dead instances as errors of class InterruptedError; returns how many. */
export async function endPendingRowsOfDeadInstances(db: Db, rule: DeadInstanceRule): Promise<number> {
  const error = toJsonb({
    class: 'InterruptedError',
    code: 'interrupted',
    message: 'the process making this call stopped before the call finished',
    providerStatus: null,
    details: null,
  });
  const rows = await db
    .updateTable('inference_log')
    .set({ status: 'error', error, finished_at: sql<Date>`now()` })
    .where('status', '=', 'pending')
    .where(ownedByDeadInstance(rule))
    .returning('id')
    .execute();
  return rows.length;
}

/**
 * Chains still `running` whose process is dead and that have no job to resume them by (made before chains were
 * jobs, or whose job pg-boss gave up on): they can only end as interrupted.
 */
export async function listRunningChainsOfDeadInstances(
  db: Db,
  rule: DeadInstanceRule,
  jobsSchema: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('chain')
    .select('id')
    .where('status', '=', 'running')
    .where(ownedByDeadInstance(rule))
    .where(
      sql<boolean>`not exists (select 1 from ${sql.id(jobsSchema, 'job')} as job where job.name = ${CHAIN_QUEUE} and job.id = chain.id and job.state < 'completed')`,
    )
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Running chains whose process is dead while their job is taken (active): to be handed back to the queue. Their jobs
 * are locked till the caller's transaction ends, so two instances sweeping at once hand each back once.
 */
export async function lockAbandonedChainJobs(db: Db, rule: DeadInstanceRule, jobsSchema: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select chain.id from chain
    join ${sql.id(jobsSchema, 'job')} as job on job.name = ${CHAIN_QUEUE} and job.id = chain.id
    where chain.status = 'running' and job.state = 'active' and ${ownedByDeadInstance(rule)}
    order by chain.id
    for update of job skip locked`.execute(db);
  return rows.map((row) => row.id);
}

/** Instances not heard from for a day: their rows are long settled, and the table stays small. */
export async function deleteLongGoneInstances(db: Db): Promise<void> {
  await db.deleteFrom('instance').where('heartbeat_at', '<', sql<Date>`now() - interval '1 day'`).execute();
}

export async function listInstances(db: Db): Promise<InstanceRow[]> {
  return db.selectFrom('instance').selectAll().where('stopped_at', 'is', null).orderBy('started_at').execute();
}

/** An instance as operators see it: its row, and how long ago its heartbeat was by the database's clock. */
export type InstanceWithAge = InstanceRow & { heartbeat_age_ms: number };

/**
 * Registered instances, stopped ones included (a day of them at most: deleteLongGoneInstances), those that did not
 * stop first (a day of `npm run ask` runs must not push a server that started earlier off the list), then by newest
 * start.
 */
export async function listInstancesWithAge(db: Db, limit: number): Promise<InstanceWithAge[]> {
  return db
    .selectFrom('instance')
    .selectAll()
    .select(heartbeatAgeMs().as('heartbeat_age_ms'))
    .orderBy(sql`stopped_at is null`, 'desc')
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** How many instances are alive (a heartbeat younger than the lease), lapsed (older) and stopped: all of them. */
export async function countInstancesByState(
  db: Db,
  leaseMs: number,
): Promise<{ alive: number; lapsed: number; stopped: number }> {
  const age = heartbeatAgeMs();
  const row = await db
    .selectFrom('instance')
    .select([
      sql<number>`count(*) filter (where stopped_at is null and ${age} <= ${leaseMs})::int`.as('alive'),
      sql<number>`count(*) filter (where stopped_at is null and ${age} > ${leaseMs})::int`.as('lapsed'),
      sql<number>`count(*) filter (where stopped_at is not null)::int`.as('stopped'),
    ])
    .executeTakeFirstOrThrow();
  return { alive: row.alive, lapsed: row.lapsed, stopped: row.stopped };
}

/** By the database's clock, so instances on hosts whose clocks differ are judged alike. */
function heartbeatAgeMs() {
  return sql<number>`round(extract(epoch from (now() - heartbeat_at)) * 1000)::int`;
}
