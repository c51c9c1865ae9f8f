import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { DatabaseHandle, Db } from '../../db/client.js';
import {
  countChainBacklog,
  deferChainJobs,
  listOrphanedChainJobs,
  removeQueuedChainJob,
} from '../../db/queries/chain-jobs.js';
import { splitSqlScript } from '../../db/sql-script.js';
import { log } from '../../log.js';
import { CHAIN_QUEUE, jobsSchemaFor } from '../../db/jobs-schema.js';

const jobsLog = log.withTag('jobs');

/**
 * How the chain queue is kept: a chain may be handed back (resumed elsewhere) this many times; a job still active
 * after 23 hours (pg-boss's limit is 24) is failed by pg-boss's maintenance as a last resort, since a dead instance's
 * chains are handed back by the instance sweep long before.
 */
const CHAIN_QUEUE_OPTIONS: PgBoss.Queue = {
  name: CHAIN_QUEUE,
  retryLimit: 20,
  retryDelay: 0,
  expireInHours: 23,
  retentionDays: 14,
};

/**
 * What runs pg-boss's statements: the app's Kysely instance, or a transaction of it. pg-boss sends its maintenance as
 * one script (`BEGIN; SET LOCAL …; …; COMMIT`), which PGlite's one-statement-per-call protocol refuses: a script is
 * run a statement at a time on one connection held for it, so nothing else runs inside its transaction.
 */
function kyselyExecutor(db: Db): PgBoss.Db {
  return {
    async executeSql(text, values) {
      const statements = values && values.length > 0 ? [text] : splitSqlScript(text);
      if (statements.length <= 1) {
        const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
        return { rows: [...result.rows] };
      }
      return db.connection().execute(async (connection) => {
        let rows: unknown[] = [];
        for (const statement of statements)
          rows = [...(await connection.executeQuery(CompiledQuery.raw(statement, []))).rows];
        return { rows };
      });
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
    private readonly db: Db,
    /** The schema of pg-boss's tables. */
    readonly schema: string,
  ) {}

  /**
   * Starts pg-boss on the database's migrated schema (it does not migrate itself). `supervise` runs pg-boss's
   * maintenance (archiving old jobs, failing expired ones): the server does, a CLI need not.
   */
  static async start(
    database: Pick<DatabaseHandle, 'db' | 'schema' | 'status'>,
    options: { supervise: boolean },
  ): Promise<ChainJobs> {
    const schema = jobsSchemaFor(database.schema);
    const boss = new PgBoss({
      db: kyselyExecutor(database.db),
      schema,
      migrate: false,
      supervise: options.supervise,
      schedule: false,
    });
    // pg-boss reports its maintenance's failures as events: unheard, an 'error' event ends the process.
    boss.on('error', (error) => {
      if (!database.status.reportFailure(error)) jobsLog.warn('pg-boss maintenance failed', error);
    });
    await boss.start();
    await boss.createQueue(CHAIN_QUEUE, CHAIN_QUEUE_OPTIONS);
    await boss.updateQueue(CHAIN_QUEUE, CHAIN_QUEUE_OPTIONS);
    return new ChainJobs(boss, database.db, schema);
  }

  /** Queues the chain, in the caller's transaction: the chain's row and its job commit together. */
  async send(transaction: Db, chainId: string): Promise<void> {
    await this.boss.send(CHAIN_QUEUE, { chainId }, { id: chainId, db: kyselyExecutor(transaction) });
  }

  /**
   * Takes up to `count` queued chains (oldest first), in the caller's transaction; their ids.
   * @throws what the query failed with. pg-boss 10's own fetch catches every failure and returns no jobs (it takes
   *   them for the unique-key conflicts of its singleton queues, which ours is not), so an unreadable queue would
   *   look empty: the failure is caught on its way through our executor and thrown again here.
   */
  async fetch(transaction: Db, count: number): Promise<string[]> {
    const executor = kyselyExecutor(transaction);
    let failure: { error: unknown } | undefined;
    const jobs = await this.boss.fetch<{ chainId: string }>(CHAIN_QUEUE, {
      batchSize: count,
      db: {
        async executeSql(text, values) {
          try {
            return await executor.executeSql(text, values);
          } catch (error) {
            failure = { error };
            throw error;
          }
        },
      },
    });
    if (failure) throw failure.error;
    return jobs.map((job) => job.id);
  }

  /** The chain's job is done: it ran to its end, or there was nothing left to run; in the caller's transaction when given. */
  async complete(chainId: string, transaction?: Db): Promise<void> {
    await this.boss.complete(CHAIN_QUEUE, chainId, {}, transaction ? { db: kyselyExecutor(transaction) } : {});
  }

  /**
   * Puts the chains' jobs back in the queue, to be resumed by whichever instance takes them next (pg-boss counts it
   * as a failed attempt to be retried at once); in the caller's transaction when given.
   */
  async handBack(chainIds: readonly string[], transaction?: Db): Promise<void> {
    // pg-boss's typings offer no (ids, data, options) form, and its (ids, options) form takes the options for data:
    // one id at a time keeps the transaction.
    const options = transaction ? { db: kyselyExecutor(transaction) } : {};
    for (const chainId of chainIds)
      await this.boss.fail(CHAIN_QUEUE, chainId, { reason: 'handed back to be resumed' }, options);
  }

  /**
   * Puts jobs this instance just took back in the queue, in the caller's transaction, to be taken (by any instance)
   * after `delayMs`, without counting a retry: for chains of a kind this instance cannot run.
   */
  defer(transaction: Db, chainIds: readonly string[], delayMs: number): Promise<void> {
    return deferChainJobs(transaction, this.schema, chainIds, delayMs);
  }

  /** Removes the chain's job if no instance took it yet, in the caller's transaction (a submission withdrawn); whether it did. */
  removeQueued(transaction: Db, chainId: string): Promise<boolean> {
    return removeQueuedChainJob(transaction, this.schema, chainId);
  }

  /** Taken jobs whose chain names `instanceId` as its runner while it runs none of them (see listOrphanedChainJobs). */
  orphans(instanceId: string | null, running: readonly string[]): Promise<string[]> {
    return listOrphanedChainJobs(this.db, this.schema, instanceId, running);
  }

  /** Chains queued and not yet taken. */
  queued(): Promise<number> {
    return this.boss.getQueueSize(CHAIN_QUEUE, { before: 'active' });
  }

  /** See countChainBacklog: in the caller's transaction, after every other submission's. */
  backlogForSubmission(transaction: Db, instanceId: string | null): Promise<{ queued: number; runningHere: number }> {
    return countChainBacklog(transaction, this.schema, instanceId);
  }

  /** pg-boss's maintenance now (failing expired jobs, archiving and dropping old ones), as `supervise` runs it on a timer. */
  async maintain(): Promise<void> {
    await this.boss.maintain();
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: false });
  }
}
