import { type DatabaseIntrospector, type Kysely, PostgresIntrospector, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import type { Database } from './database.js';
import { SearchPathIntrospector } from './search-path-introspector.js';

let database: DatabaseHandle & { schema?: string };
let schema: string;

beforeAll(async () => {
  database = await openTestDatabase();
  if (!database.schema) throw new Error('the postgres project opens a schema of its own');
  schema = database.schema;
});

afterAll(async () => {
  await database?.close();
});

/**
 * Reads the tables in a snapshot taken before another session drops a schema and commits: the catalog rows of the
 * snapshot still hold that schema while a lookup by its name no longer finds it (what two sessions racing do).
 */
async function tablesAfterConcurrentDrop(introspector: (db: Kysely<Database>) => DatabaseIntrospector) {
  const dropped = `dropped_${Math.random().toString(36).slice(2, 10)}`;
  await withAdminClient(testDatabaseUrl(), (client) =>
    client.query(`create schema ${dropped}; create table ${dropped}.t (id int)`),
  );
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`select 1`.execute(trx);
      await withAdminClient(testDatabaseUrl(), (client) => client.query(`drop schema ${dropped} cascade`));
      return introspector(trx).getTables({ withInternalKyselyTables: true });
    });
}

describe('SearchPathIntrospector', () => {
  it("describes the search path's tables as kysely's introspector does", async () => {
    const ours = await new SearchPathIntrospector(database.db).getTables({ withInternalKyselyTables: true });
    const kyselys = await new PostgresIntrospector(database.db).getTables({ withInternalKyselyTables: true });
    expect(ours.map((table) => table.name)).toContain('inference_log');
    expect(ours.map((table) => table.name)).toContain('kysely_migration');
    expect(ours).toEqual(kyselys.filter((table) => table.schema === schema));
  });

  it("leaves out kysely's bookkeeping tables unless asked for them", async () => {
    const tables = await new SearchPathIntrospector(database.db).getTables();
    expect(tables.map((table) => table.name)).not.toContain('kysely_migration');
    expect(tables.map((table) => table.name)).toContain('inference_log');
  });

  it('reads the tables while another session drops a schema, where kysely’s introspector fails', async () => {
    await expect(tablesAfterConcurrentDrop((db) => new PostgresIntrospector(db))).rejects.toThrow(/does not exist/);
    const tables = await tablesAfterConcurrentDrop((db) => new SearchPathIntrospector(db));
    expect(tables.map((table) => table.name)).toContain('kysely_migration');
  });
});
