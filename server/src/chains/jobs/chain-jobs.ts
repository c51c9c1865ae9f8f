import { CompiledQuery, sql } from 'kysely';
import PgBoss from 'pg-boss';
import type { Db } from '../../db/client.js';
import type { DatabaseStatus } from '../../db/database-status.js';
import { log } from '../../log.js';
import { CHAIN_QUEUE, jobsSchemaFor } from './jobs-schema.js';

const jobsLog = log.withTag('jobs');

/**
 * How the chain queue is kept: a chain may be handed back (resumed elsewhere) this many times; a job still active
 * after 23 hours (pg-boss's limit is 24) is failed by pg-boss's maintenance as a last resort, since a dead instance's
 * chains are handed back by the instance sweep long before.
 */
const CHAIN_QUEUE_OPTIONS: PgBoss.Queue = { name: CHAIN_QUEUE, retryLimit: 100, retryDelay: 0, expireInHours: 23, retentionDays: 14 };

/** The advisory lock submissions take in turn (any 64-bit number no other code of the database uses). */
const SUBMISSION_LOCK_KEY = 0x636861696e6c6f67n; // "chainlog"

/** What runs pg-boss's statements: the app's Kysely instance, or a transaction of it. */
function kyselyExecutor(db: Db): PgBoss.Db {
  return {
    async executeSql(text, values) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: [...result.rows] };
    },
  };
}

/**
 * Submitted chains as jobs of pg-boss, the PostgreSQL job queue, in the same database (PGlite too: its statements run
 * through the app's Kysely instance, which takes PGlite's one connection in turn). A job's id is its chain's id.
 * Jobs are fetched by the chain runner rather than pg-boss's polling workers, so that a job is claimed in the same
 * transaction that records which instance runs it.
 */
export class ChainJobs {
  private constructor(
    private readonly boss: PgBoss,
    /** The schema of pg-boss's tables. */
    readonly schema: string,
  ) {}

  /**
   * Starts pg-boss on the migrated schema (it does not migrate itself). `supervise` runs pg-boss's maintenance
   * (archiving old jobs, failing expired ones): the server does, a CLI need not.
   */
  static async start(options: { db: Db; appSchema: string | undefined; status: DatabaseStatus; supervise: boolean }): Promise<ChainJobs> {
    const schema = jobsSchemaFor(options.appSchema);
    const boss = new PgBoss({
      db: kyselyExecutor(options.db),
      schema,
      migrate: false,
      supervise: options.supervise,
      schedule: false,
    });
    // pg-boss reports its maintenance's failures as events: unheard, an 'error' event ends the process.
    boss.on('error', (error) => {
      if (!options.status.reportFailure(error)) jobsLog.warn('pg-boss maintenance failed', error);
    });
    await boss.start();
    await boss.createQueue(CHAIN_QUEUE, CHAIN_QUEUE_OPTIONS);
    await boss.updateQueue(CHAIN_QUEUE, CHAIN_QUEUE_OPTIONS);
    return new ChainJobs(boss, schema);
  }

  /** Queues the chain, in the caller's transaction: the chain's row and its job commit together. */
  async send(transaction: Db, chainId: string): Promise<void> {
    await this.boss.send(CHAIN_QUEUE, { chainId }, { id: chainId, db: kyselyExecutor(transaction) });
  }

  /** Takes up to `count` queued chains (oldest first), in the caller's transaction; their ids. */
  async fetch(transaction: Db, count: number): Promise<string[]> {
    const jobs = await this.boss.fetch<{ chainId: string }>(CHAIN_QUEUE, { batchSize: count, db: kyselyExecutor(transaction) });
    return jobs.map((job) => job.id);
  }

  /** The chains' jobs are done: they ran to their end, or there was nothing left to run. */
  async complete(chainIds: readonly string[]): Promise<void> {
    if (chainIds.length > 0) await this.boss.complete(CHAIN_QUEUE, [...chainIds]);
  }

  /**
   * Puts the chains' jobs back in the queue, to be resumed by whichever instance takes them next (pg-boss counts it
   * as a failed attempt to be retried at once); in the caller's transaction when given.
   */
  async handBack(chainIds: readonly string[], transaction?: Db): Promise<void> {
    // pg-boss's typings offer no (ids, data, options) form, and its (ids, options) form takes the options for data:
    // one id at a time keeps the transaction.
    const options = transaction ? { db: kyselyExecutor(transaction) } : {};
    for (const chainId of chainIds) await this.boss.fail(CHAIN_QUEUE, chainId, { reason: 'handed back to be resumed' }, options);
  }

  /** Removes the chain's job, in the caller's transaction (a submission withdrawn). */
  async remove(transaction: Db, chainId: string): Promise<void> {
    await this.boss.deleteJob(CHAIN_QUEUE, chainId, { db: kyselyExecutor(transaction) });
  }

  /** Chains queued and not yet taken. */
  queued(): Promise<number> {
    return this.boss.getQueueSize(CHAIN_QUEUE, { before: 'active' });
  }

  /**
   * In the caller's transaction, after waiting for every other submission's to end (an advisory lock, on every
   * instance alike): the chains queued and not yet taken, and those the instance `instanceId` runs. Read this way,
   * concurrent submissions cannot pass a bound between the count and their insert.
   */
  async backlogForSubmission(transaction: Db, instanceId: string | null): Promise<{ queued: number; runningHere: number }> {
    await sql`select pg_advisory_xact_lock(${SUBMISSION_LOCK_KEY})`.execute(transaction);
    const { rows } = await sql<{ queued: number | string; running_here: number | string }>`
      select
        count(*) filter (where job.state < 'active') as queued,
        count(*) filter (where job.state = 'active' and chain.instance_id is not distinct from ${instanceId}) as running_here
      from ${sql.id(this.schema, 'job')} as job
      left join chain on chain.id = job.id
      where job.name = ${CHAIN_QUEUE} and job.state <= 'active'`.execute(transaction);
    return { queued: Number(rows[0]?.queued ?? 0), runningHere: Number(rows[0]?.running_here ?? 0) };
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: false });
  }
}
