import { fileURLToPath } from 'node:url';
import { type Kysely, Migrator } from 'kysely';
import { log } from '../log.js';
import { MIGRATIONS } from './migrations.js';

const migrateLog = log.withTag('migrate');

/** The folder kysely-ctl reads through the root kysely.config.ts. */
export const MIGRATION_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies every pending migration; the server calls it at start so `npm start` needs no separate step.
 * `schema` keeps kysely's bookkeeping tables in that schema: without it kysely takes tables of the same name in any
 * schema of the database for its own.
 */
export async function migrateToLatest<T>(db: Kysely<T>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') migrateLog.info(`applied migration ${result.migrationName}`);
    if (result.status === 'Error') migrateLog.error(`migration ${result.migrationName} failed`);
  }
  if (error) throw new MigrationError('database migration failed', { cause: error });
}
