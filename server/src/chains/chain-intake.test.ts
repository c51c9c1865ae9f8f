import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/captured-logs.js';
import { askResult, chainFinished, useChainRunnerHarness } from '../../test/chain-runner-harness.js';
import { findChain, listChainEventsAfter } from '../db/queries/chains.js';
import { fetchRetryDelayMs } from './chain-intake.js';
import { ChainEventBus } from './event-bus.js';

describe('taking chains from the queue', () => {
  const harness = useChainRunnerHarness();
  const { startRunner, storedChain, queue } = harness;

  it('says once that the queue cannot be read, looks again after a growing wait, and takes its chains once it can', async () => {
    const chainId = await storedChain(async (run) => {
      await run.step('only step', async () => askResult(run.chainId, { answer: 1 }));
    });
    await queue(chainId);
    const jobTable = sql.id(harness.jobs.schema, 'job');
    // The queue's table gone (a lock timing out, a revoked grant would do the same): every fetch fails.
    await sql`alter table ${jobTable} rename to job_away`.execute(harness.database.db);
    const captured = captureLogs();
    try {
      const bus = new ChainEventBus();
      const finished = chainFinished(bus, chainId, 20_000);
      const runner = startRunner({ bus });
      await expect.poll(() => runner.queueProblem()?.failures ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      expect(runner.queueProblem()).toMatchObject({ reason: expect.stringMatching(/job" does not exist/) });
      const said = (pattern: RegExp) => captured.logs.filter((entry) => pattern.test(entry.message));
      expect(said(/could not take queued chains/).map((entry) => entry.type)).toEqual(['warn']);

      await sql`alter table ${sql.id(harness.jobs.schema, 'job_away')} rename to job`.execute(harness.database.db);
      expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
      expect(runner.queueProblem()).toBeUndefined();
      expect(said(/chain queue can be read again/).map((entry) => entry.type)).toEqual(['info']);
      expect(said(/could not take queued chains/)).toHaveLength(1);
    } finally {
      captured.stop();
      await sql`alter table if exists ${sql.id(harness.jobs.schema, 'job_away')} rename to job`.execute(
        harness.database.db,
      );
    }
  });

  it('waits one poll after the first failed look, doubling each time, up to 30 polls', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((failures) => fetchRetryDelayMs(1_000, failures))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('leaves a chain of a kind it does not run in the queue, spending none of its retries, for an instance that runs it', async () => {
    const { db } = harness.database;
    const captured = captureLogs();
    try {
      const chainId = await storedChain(async (run) => {
        await run.step('only step', async () => askResult(run.chainId, { answer: 1 }));
      });
      // An instance of the version before this kind existed, and one of the version that brought it.
      const older = uuidv7();
      const newer = uuidv7();
      startRunner({ chains: [], instanceId: older, unknownChainRetryMs: 50 });
      await queue(chainId);
      const timesLeft = () => captured.logs.filter((entry) => entry.message.startsWith(`chain ${chainId} of kind`));
      await expect.poll(() => timesLeft().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      expect(await findChain(db, chainId)).toMatchObject({ status: 'running', instance_id: null });
      expect(await listChainEventsAfter(db, chainId, null)).toEqual([]);

      const bus = new ChainEventBus();
      const finished = chainFinished(bus, chainId);
      startRunner({ bus, instanceId: newer });
      expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
      expect(await findChain(db, chainId)).toMatchObject({ instance_id: newer });
      const job = await sql<{ retry_count: number; state: string }>`
        select retry_count, state from ${sql.id(harness.jobs.schema, 'job')} where id = ${chainId}`.execute(db);
      expect(job.rows).toEqual([{ retry_count: 0, state: 'completed' }]);
    } finally {
      captured.stop();
    }
  });
});
