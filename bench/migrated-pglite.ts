import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { migrateToLatest } from '../server/src/db/migrate.js';
import { PGliteDialect } from '../server/src/db/pglite-dialect.js';

/** A data directory migrated as the server's, as PGlite's `loadDataDir` takes it: each bench database starts from it. */
export async function migratedPgliteDump(): Promise<Blob> {
  const template = new PGlite('memory://');
  const migrator = new Kysely<unknown>({ dialect: new PGliteDialect(template) });
  try {
    await migrateToLatest(migrator);
    return await template.dumpDataDir('none');
  } finally {
    await migrator.destroy();
  }
}
