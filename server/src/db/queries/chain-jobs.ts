import { sql } from 'kysely';
import type { Db } from '../client.js';
import { CHAIN_QUEUE } from '../jobs-schema.js';

/** The advisory lock submissions take in turn (any 64-bit number no other code of the database uses). */
const SUBMISSION_LOCK_KEY = 0x636861696e6c6f67n; // "chainlog"

/**
 * In the caller's transaction, after waiting for every other submission's to end (an advisory lock, on every
 * instance alike): the chains queued and not yet taken, and those the instance `instanceId` runs. Read this way,
 * concurrent submissions cannot pass a bound between the count and their insert.
 */
export async function countChainBacklog(
  transaction: Db,
  jobsSchema: string,
  instanceId: string | null,
): Promise<{ queued: number; runningHere: number }> {
  await sql`select pg_advisory_xact_lock(${SUBMISSION_LOCK_KEY})`.execute(transaction);
  const { rows } = await sql<{ queued: number | string; running_here: number | string }>`
    select
      count(*) filter (where job.state < 'active') as queued,
      count(*) filter (where job.state = 'active' and chain.instance_id is not distinct from ${instanceId}) as running_here
    from ${sql.id(jobsSchema, 'job')} as job
    left join chain on chain.id = job.id
    where job.name = ${CHAIN_QUEUE} and job.state <= 'active'`.execute(transaction);
  return { queued: Number(rows[0]?.queued ?? 0), runningHere: Number(rows[0]?.running_here ?? 0) };
}

/** Removes the chain's job if no instance took it yet; whether it did. */
export async function removeQueuedChainJob(db: Db, jobsSchema: string, chainId: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    delete from ${sql.id(jobsSchema, 'job')} where name = ${CHAIN_QUEUE} and id = ${chainId} and state < 'active' returning id`.execute(
    db,
  );
  return rows.length > 0;
}

/** Taken jobs (active) whose chain names `instanceId` as its runner and that it is not running: left by a failed run. */
export async function listOrphanedChainJobs(
  db: Db,
  jobsSchema: string,
  instanceId: string | null,
  running: readonly string[],
): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select chain.id from ${sql.id(jobsSchema, 'job')} as job
    join chain on chain.id = job.id
    where job.name = ${CHAIN_QUEUE} and job.state = 'active' and chain.status = 'running'
      and chain.instance_id is not distinct from ${instanceId}
      and not (chain.id = any(${[...running]}::uuid[]))`.execute(db);
  return rows.map((row) => row.id);
}

/**
 * Puts the taken jobs `chainIds` back in the queue, to be taken again after `delayMs`, without spending a retry:
 * pg-boss counts a retry when it takes a job that was started before, so the job is made one never started again.
 */
export async function deferChainJobs(
  db: Db,
  jobsSchema: string,
  chainIds: readonly string[],
  delayMs: number,
): Promise<void> {
  if (chainIds.length === 0) return;
  await sql`
    update ${sql.id(jobsSchema, 'job')}
    set state = (case when retry_count > 0 then 'retry' else 'created' end)::${sql.id(jobsSchema, 'job_state')},
      started_on = null,
      start_after = now() + ${delayMs} * interval '1 millisecond'
    where name = ${CHAIN_QUEUE} and id = any(${[...chainIds]}::uuid[]) and state = 'active'`.execute(db);
}
