import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, type Kysely, Migrator } from 'kysely';
import { log } from '../log.js';

const migrateLog = log.withTag('migrate');

/** The folder kysely-ctl (root kysely.config.ts) and the server both read. */
export const MIGRATION_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies every pending migration; the server calls it at start so `npm start` needs no separate step. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATION_FOLDER }),
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') migrateLog.info(`applied migration ${result.migrationName}`);
    if (result.status === 'Error') migrateLog.error(`migration ${result.migrationName} failed`);
  }
  if (error) throw new MigrationError('database migration failed', { cause: error });
}
