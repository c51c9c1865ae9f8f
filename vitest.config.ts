import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { databaseFreeTestFiles } from './server/test/database-free-tests.js';

// The suite runs on embedded PGlite always and, when TEST_DATABASE_URL is set, a second time on that PostgreSQL.
// Tests read the kind from CHAINLOG_TEST_DB through server/test/test-database.ts. Files named *.postgres.test.ts
// test what only a database server can do (go away and come back) and run in the PostgreSQL project alone; files
// named *.pglite.test.ts test what only the embedded database has or needs (its worker thread; the maintenance
// PostgreSQL's autovacuum gives a server) and run in the PGlite project alone.
const databases = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];
const TEST_FOLDERS = ['server', 'shared', 'client/src', 'examples', 'e2e', 'scripts', 'bench'];

// A file that cannot tell the projects apart (neither it nor anything it imports or spawns reads CHAINLOG_TEST_DB:
// zod schemas, pure functions, the deploy scripts, a server always on an in-memory PGlite) would only run the same
// tests twice: it runs in the PGlite project alone. Derived from the import graph on every run, so a file that starts
// using the test database (server/test/test-database.ts) runs on PostgreSQL again with nothing to update; see
// server/test/database-free-tests.ts.
const databaseFree = databases.includes('postgres')
  ? databaseFreeTestFiles(fileURLToPath(new URL('.', import.meta.url)), TEST_FOLDERS)
  : [];

export default defineConfig({
  test: {
    // vitest's default (cores - 1): one file at a time on CI's 2 cores. Two at a time failed a CI run: a server's
    // migrations read the catalog of every schema (kysely's introspector) while another file dropped its schema,
    // and PostgreSQL answered "schema ... does not exist".
    projects: databases.map((database) => ({
      test: {
        name: database,
        include: TEST_FOLDERS.map((folder) => `${folder}/**/*.test.ts`),
        exclude: [
          ...configDefaults.exclude,
          ...(database === 'postgres' ? ['**/*.pglite.test.ts', ...databaseFree] : ['**/*.postgres.test.ts']),
        ],
        env: { CHAINLOG_TEST_DB: database },
        setupFiles: ['server/test/quiet-logs.ts'],
        // PGlite: test databases start from one migrated in the set-up (see the file). Both: the run's folder for
        // the builds suites share (the client, the server bundle).
        globalSetup: [
          ...(database === 'pglite' ? ['server/test/pglite-template.ts'] : []),
          'server/test/run-build-folder.ts',
        ],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
