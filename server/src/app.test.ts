import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migratedPgliteFolder, serverDatabaseEnv } from '../test/test-database.js';
import { openApp } from './app.js';
import { parseEnv } from './env.js';

const ON_POSTGRES = process.env.CHAINLOG_TEST_DB === 'postgres';

/** The environment of a server on the project's database: a migrated PGlite folder, or a schema of its own. */
const databaseEnv = () =>
  serverDatabaseEnv(() => {
    const folder = migratedPgliteFolder('chainlog-app-');
    return { env: { CHAINLOG_DATA_DIR: folder }, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  });

describe('openApp', () => {
  it('gives a server on PGlite the maintenance autovacuum would, and leaves PostgreSQL to its autovacuum', async () => {
    const database = await databaseEnv();
    const app = await openApp(parseEnv(database.env), 'server');
    try {
      if (ON_POSTGRES) {
        expect(app.maintenance).toBeUndefined();
        return;
      }
      // The migrations' bookkeeping table, filled when the template was migrated and never vacuumed: the first turn
      // takes it.
      await expect
        .poll(
          async () =>
            (
              await sql<{ vacuum_count: number }>`
                select vacuum_count::int as vacuum_count from pg_stat_user_tables where relname = 'kysely_migration'`.execute(
                app.database.db,
              )
            ).rows[0]?.vacuum_count,
          { timeout: 20_000 },
        )
        .toBe(1);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('gives the CLI no maintenance: it lives for one call', async () => {
    const database = await databaseEnv();
    const app = await openApp(parseEnv(database.env), 'cli');
    try {
      expect(app.maintenance).toBeUndefined();
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
