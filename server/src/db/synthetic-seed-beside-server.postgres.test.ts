import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyTotalsBesideLog } from '../../test/task-stats-totals.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { Step } from './bulk-load.js';
import type { DatabaseHandle } from './client.js';
import { seedSyntheticData } from './synthetic-seed.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400_000;

describe('npm run db:seed on two connections, beside a server writing the log', () => {
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase();
    // Days the seed below does not write into (it writes the 60 before NOW), rolled up by this seed's end.
    await seedSyntheticData(database.db, { logs: 300, now: new Date(NOW.getTime() - 100 * DAY), seed: 0.1 });
  });
  afterAll(() => database?.close());

  it("keeps task_stats right for the closed days a server's rows change while the seed runs", async () => {
    const { rows: old } = await sql<{ id: string }>`
      select id from inference_log order by created_at limit 3`.execute(database.db);
    const [updated, deleted, copied] = old.map((row) => row.id);
    // On a connection of the pool, committing at once: what a server's log writer, reaper or clean-up does.
    const writeAsAServer = async () => {
      await sql`update inference_log set latency_ms = latency_ms * 10 + 1 where id = ${updated}`.execute(database.db);
      await sql`delete from inference_log where id = ${deleted}`.execute(database.db);
      await sql`
        insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, latency_ms, created_at, finished_at)
        select gen_random_uuid(), chain_id, name, provider, model, status, attempt, request, latency_ms, created_at, finished_at
        from inference_log where id = ${copied}`.execute(database.db);
    };
    let written = false;
    // While the seed's tables are stripped for the bulk load (after it dropped what it drops, before it puts it back).
    const step: Step = async (name, work) => {
      if (name.endsWith('insert inference_log, first half of the chains')) {
        await writeAsAServer();
        written = true;
      }
      return work();
    };

    await seedSyntheticData(database.db, { logs: 2_000, now: NOW, seed: 0.7, connections: 2, step });

    expect(written).toBe(true);
    expect(await dailyTotalsBesideLog(database.db)).toMatchObject({ same: true });
  });
});
