import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctFacets } from '../../../test/distinct-facets.js';
import { openTestDatabase } from '../../../test/test-database.js';
import { uuidv7 } from '../../uuid-v7.js';
import type { DatabaseHandle } from '../client.js';
import { seedSyntheticData } from '../synthetic-seed.js';
import { listLogFacets } from './log-facets.js';

describe('listLogFacets', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  const insertLog = (name: string, provider: string, model: string) =>
    database.db
      .insertInto('inference_log')
      .values({ id: uuidv7(), chain_id: uuidv7(), name, provider, model, status: 'ok', attempt: 1, request: '{}' })
      .execute();

  it('finds no values in an empty log', async () => {
    expect(await listLogFacets(database.db)).toEqual({ names: [], models: [], providers: [] });
    expect(await listLogFacets(database.db)).toEqual(await distinctFacets(database.db));
  });

  it('relies on name, model and provider never being null (a null would end its skip scan early)', async () => {
    const { rows } = await sql<{ column_name: string; is_nullable: string }>`
      select column_name, is_nullable from information_schema.columns
      where table_schema = current_schema() and table_name = 'inference_log'
        and column_name in ('name', 'model', 'provider')
      order by column_name`.execute(database.db);
    expect(rows).toEqual([
      { column_name: 'model', is_nullable: 'NO' },
      { column_name: 'name', is_nullable: 'NO' },
      { column_name: 'provider', is_nullable: 'NO' },
    ]);
  });

  it('returns what DISTINCT returns, in the same order, for a value used once and values used thousands of times', async () => {
    await seedSyntheticData(database.db, { logs: 3_000, seed: 0.25 });
    // Values a collation orders with care: upper and lower case, accents, digits, spaces, the empty text. Each is used
    // once (the first row), or twice where two share it in another column.
    await insertLog('only once', 'a lone provider', 'Z-model');
    await insertLog('', 'Ärger', 'z-model');
    await insertLog('Only once', 'ärger', 'é-model');
    await insertLog('only once ', '10', 'e-model');
    await insertLog('9 lives', '9', '');
    await sql`analyze inference_log`.execute(database.db);

    const facets = await listLogFacets(database.db);

    expect(facets).toEqual(await distinctFacets(database.db));
    expect(facets.names).toEqual(expect.arrayContaining(['only once', 'Only once', 'only once ', '', '9 lives']));
    expect(facets.providers).toEqual(expect.arrayContaining(['a lone provider', 'Ärger', 'ärger', '10', '9']));
    expect(facets.models).toEqual(expect.arrayContaining(['Z-model', 'z-model', 'é-model', 'e-model', '']));
    // The synthetic log's own tasks, models and providers, each used many times.
    expect(facets.names.length).toBeGreaterThanOrEqual(5 + 2);
    expect(facets.models.length).toBeGreaterThanOrEqual(5 + 2);
    expect(facets.providers).toEqual(expect.arrayContaining(['openai', 'anthropic']));
  });
});
