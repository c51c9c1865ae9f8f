import { Kysely } from 'kysely';
import { log } from '../log.js';
import type { Database } from './database.js';
import { type DatabaseKind, type DatabaseTarget, createDialect } from './dialect.js';
import { migrateToLatest } from './migrate.js';

const dbLog = log.withTag('db');

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: DatabaseKind;
  close(): Promise<void>;
}

/** Opens the one Kysely instance for the process and brings its schema to the latest migration. */
export async function openDatabase(target: DatabaseTarget, options: { migrate?: boolean } = {}): Promise<DatabaseHandle> {
  const { dialect, ready, release } = createDialect(target);
  const db = new Kysely<Database>({ dialect });
  try {
    await ready;
    if (options.migrate ?? true) await migrateToLatest(db, target.kind === 'postgres' ? target.searchPath : undefined);
  } catch (error) {
    await db.destroy();
    release();
    throw error;
  }
  dbLog.info(`database ready: ${target.kind === 'pglite' ? `embedded PGlite at ${target.dataDir}` : 'PostgreSQL server'}`);
  return {
    db,
    kind: target.kind,
    async close() {
      await db.destroy();
      release();
    },
  };
}
