import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/captured-logs.js';
import { askResult, chainFinished, useChainRunnerHarness } from '../../test/chain-runner-harness.js';
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
});
