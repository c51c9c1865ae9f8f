import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/captured-logs.js';
import { offlineLlm } from '../../test/offline-llm.js';
import { openTestDatabase } from '../../test/test-database.js';
import { ChainRunner } from './chain-runner.js';
import { ChainEventBus } from './event-bus.js';
import { ChainJobs } from './jobs/chain-jobs.js';

describe('a chain runner whose database is closed', () => {
  it('stops looking at the queue instead of failing every look', async () => {
    const database = await openTestDatabase();
    const jobs = await ChainJobs.start(database, { supervise: false });
    const runner = new ChainRunner({
      db: database.db,
      bus: new ChainEventBus(),
      jobs,
      llm: offlineLlm(database),
      chains: [],
      instanceId: null,
      maxRunning: 1,
      maxWaiting: 10,
      pollMs: 500,
      databaseStatus: database.status,
    });
    runner.start();
    await sleep(150);
    await database.close();
    const captured = captureLogs();
    try {
      await sleep(1_600);
      expect(captured.logs.filter((entry) => entry.type === 'warn' || entry.type === 'error')).toEqual([]);
    } finally {
      captured.stop();
      await runner.drain(1_000);
    }
  });
});
