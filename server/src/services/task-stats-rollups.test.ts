import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { startTaskStatsRollUps } from './task-stats-rollups.js';

let database: DatabaseHandle;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

async function dailyRows(): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from task_stats_daily`.execute(
    database.db,
  );
  return rows[0]?.count ?? 0;
}

describe('startTaskStatsRollUps', () => {
  it('rolls up the closed days at once, and again on its schedule, until stopped', async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    const row = {
      chain_id: '0193b5c2-6d3e-7a41-9a0e-3f5c2b7d8e11',
      name: 'sentiment',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      status: 'ok' as const,
      attempt: 1,
      request: '{}',
      latency_ms: 420,
    };
    await database.db
      .insertInto('inference_log')
      .values({ ...row, id: '0193b5c2-6d3e-7a41-9a0e-3f5c2b7d8e12', created_at: threeDaysAgo })
      .execute();
    const rollUps = startTaskStatsRollUps({ db: database.db, status: database.status, intervalMs: 50 });
    try {
      await expect.poll(dailyRows, { timeout: 10_000 }).toBe(1);
      // A second model the same day: the next turn of the schedule writes that day again.
      await database.db
        .insertInto('inference_log')
        .values({ ...row, id: '0193b5c2-6d3e-7a41-9a0e-3f5c2b7d8e13', model: 'gpt-4.1', created_at: threeDaysAgo })
        .execute();
      await expect.poll(dailyRows, { timeout: 10_000 }).toBe(2);
    } finally {
      await rollUps.stop();
    }
  });
});
