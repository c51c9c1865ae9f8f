import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/test-database.js';
import type { DatabaseHandle } from '../../db/client.js';
import { CHAIN_QUEUE } from '../../db/jobs-schema.js';
import { insertChain } from '../../db/queries/chains.js';
import { newChainId } from '../../llm/chain-context.js';
import { ChainJobs } from './chain-jobs.js';

describe('the chain queue on pg-boss', () => {
  let database: DatabaseHandle;
  let jobs: ChainJobs;
  beforeAll(async () => {
    database = await openTestDatabase();
    jobs = await ChainJobs.start(database, { supervise: false });
  });
  afterAll(async () => {
    await jobs.stop();
    await database.close();
  });

  const stateOf = async (chainId: string) =>
    (
      await sql<{
        state: string;
      }>`select state from ${sql.id(jobs.schema, 'job')} where name = ${CHAIN_QUEUE} and id = ${chainId}`.execute(
        database.db,
      )
    ).rows[0]?.state;

  async function queuedChain(): Promise<string> {
    const chainId = newChainId();
    await database.db.transaction().execute(async (transaction) => {
      await insertChain(transaction, {
        id: chainId,
        name: 'a chain',
        status: 'running',
        input: JSON.stringify({}),
        instance_id: null,
      });
      await jobs.send(transaction, chainId);
    });
    return chainId;
  }

  it('runs its maintenance (multi-statement scripts, which PGlite takes one statement at a time): a job taken a day ago is put back', async () => {
    const chainId = await queuedChain();
    await database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10));
    await sql`update ${sql.id(jobs.schema, 'job')} set started_on = now() - interval '24 hours' where id = ${chainId}`.execute(
      database.db,
    );

    await jobs.maintain();

    expect(await stateOf(chainId)).toBe('retry');
  });

  it('queues a chain with its id as the job id, takes it, hands it back to be taken again, and completes it', async () => {
    const chainId = await queuedChain();
    expect(await stateOf(chainId)).toBe('created');
    expect(await database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10))).toContain(chainId);
    expect(await stateOf(chainId)).toBe('active');
    await jobs.handBack([chainId]);
    expect(await stateOf(chainId)).toBe('retry');
    expect(await database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10))).toContain(chainId);
    await jobs.complete(chainId);
    expect(await stateOf(chainId)).toBe('completed');
  });

  it('removes a job for a withdrawn submission only while no instance has taken it', async () => {
    const queued = await queuedChain();
    expect(await jobs.removeQueued(database.db, queued)).toBe(true);
    expect(await stateOf(queued)).toBeUndefined();
    const taken = await queuedChain();
    await database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10));
    expect(await jobs.removeQueued(database.db, taken)).toBe(false);
    expect(await stateOf(taken)).toBe('active');
  });

  it('throws what a fetch failed with, where pg-boss itself would return no jobs', async () => {
    const chainId = await queuedChain();
    await sql`alter table ${sql.id(jobs.schema, 'job')} rename to job_away`.execute(database.db);
    try {
      await expect(database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10))).rejects.toThrow(
        /job" does not exist/,
      );
    } finally {
      await sql`alter table ${sql.id(jobs.schema, 'job_away')} rename to job`.execute(database.db);
    }
    expect(await database.db.transaction().execute((transaction) => jobs.fetch(transaction, 10))).toContain(chainId);
  });
});
