import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { down, up } from './migrations/2026-12-05T1300-log-search-word-parts.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

/** The ids of the rows `where` matches, read through inference_log_document_idx (sequential scans off). */
async function idsThroughIndex(where: ReturnType<typeof sql<boolean>>): Promise<string[]> {
  return database.db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain select id from inference_log where ${where}`.execute(trx);
    expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('inference_log_document_idx');
    const { rows } = await sql<{ id: string }>`select id from inference_log where ${where} order by id`.execute(trx);
    return rows.map((row) => row.id);
  });
}

describe('migration 2026-12-05T1300-log-search-word-parts', () => {
  it('rebuilds the search index for rows written before it, and back', async () => {
    await down(database.db);
    const id = uuidv7();
    await database.db
      .insertInto('inference_log')
      .values({
        id,
        chain_id: uuidv7(),
        name: 'intent recognition',
        provider: 'offline',
        model: 'default',
        status: 'ok',
        attempt: 1,
        request: JSON.stringify({ messages: [{ role: 'user', content: 'Mail zhang.wei@example.com about A-4242' }] }),
        output: JSON.stringify({ intent: 'shipping' }),
      })
      .execute();
    const before = sql<boolean>`inference_log_document(request, output) @@ websearch_to_tsquery('english', 'zhang')`;
    expect(await idsThroughIndex(before)).toEqual([]);

    await up(database.db);
    for (const q of ['zhang', 'example.com', '4242', 'zhang.wei@example.com'])
      expect(
        await idsThroughIndex(sql<boolean>`inference_log_document(request, output) @@ inference_log_search(${q})`),
      ).toEqual([id]);

    await down(database.db);
    expect(await idsThroughIndex(before)).toEqual([]);
    await up(database.db);
  });
});
