import { defineConfig } from 'kysely-ctl';
import { createDialect, targetFromSettings } from './server/src/db/dialect.js';
import { MIGRATION_FOLDER } from './server/src/db/migrate.js';

// Same choice as the server: DATABASE_URL when set, otherwise the embedded PGlite under CHAINLOG_DATA_DIR.
// PGlite is single-process: stop the server before running migrations against its data directory.
// kysely-ctl runs migrations and exits: PGlite runs in its thread (a worker would need tsx under kysely-ctl's loader).
const target = targetFromSettings({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.CHAINLOG_DATA_DIR || './.chainlog',
  pgliteThread: 'main',
});

const { dialect, release } = createDialect(target);
// kysely-ctl exits when done; the PGlite lock file must go with it.
process.once('exit', release);

export default defineConfig({
  dialect,
  migrations: { migrationFolder: MIGRATION_FOLDER },
});
