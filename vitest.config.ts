import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { databaseFreeTestFiles } from './server/test/database-free-tests.js';
import { ImportGraph } from './server/test/import-graph.js';
import { processStartingTestFiles } from './server/test/process-starting-tests.js';

// The suite runs on embedded PGlite always and, when TEST_DATABASE_URL is set, a second time on that PostgreSQL.
// Tests read the kind from CHAINLOG_TEST_DB through server/test/test-database.ts. Files named *.postgres.test.ts
// test what only a database server can do (go away and come back) and run in the PostgreSQL project alone; files
// named *.pglite.test.ts test what only the embedded database has or needs (its worker thread; the maintenance
// PostgreSQL's autovacuum gives a server) and run in the PGlite project alone.
const databases = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];
const TEST_FOLDERS = ['server', 'shared', 'client/src', 'examples', 'e2e', 'scripts', 'bench'];
const graph = new ImportGraph(fileURLToPath(new URL('.', import.meta.url)));

// A file that cannot tell the projects apart (neither it nor anything it imports or spawns reads CHAINLOG_TEST_DB:
// zod schemas, pure functions, the deploy scripts, a server always on an in-memory PGlite) would only run the same
// tests twice: it runs in the PGlite project alone. Derived from the import graph on every run, so a file that starts
// using the test database (server/test/test-database.ts) runs on PostgreSQL again with nothing to update; see
// server/test/database-free-tests.ts.
const databaseFree = databases.includes('postgres') ? databaseFreeTestFiles(graph, TEST_FOLDERS) : [];

// Two files at a time, except files that start processes (a server as `npm start` runs it, PostgreSQL, the CLI, npm,
// Chromium): they run one at a time once the rest is done. Two of those at once on CI's 2 cores (two Chromiums, each
// with its server) slowed pages past the tests' waits and the fake provider's held answers past the LLM timeout;
// in-process files two at a time keep their timings. In-process files also share their worker's modules (no
// isolation: imports were 156 s of a run, paid again by every file); process-starting files get a fresh process each.
// Also derived from the import graph on every run, see server/test/process-starting-tests.ts.
const processStarting = processStartingTestFiles(graph, TEST_FOLDERS);

function project(database: string, alone: boolean): TestProjectInlineConfiguration {
  const onlyOtherDatabase =
    database === 'postgres' ? ['**/*.pglite.test.ts', ...databaseFree] : ['**/*.postgres.test.ts'];
  return {
    test: {
      name: alone ? `${database}-alone` : database,
      include: alone ? processStarting : TEST_FOLDERS.map((folder) => `${folder}/**/*.test.ts`),
      exclude: [...configDefaults.exclude, ...onlyOtherDatabase, ...(alone ? [] : processStarting)],
      env: { CHAINLOG_TEST_DB: database },
      setupFiles: ['server/test/quiet-logs.ts'],
      // PGlite: test databases start from one migrated in the set-up (see the file). Both: the run's folder for
      // the builds suites share (the client, the server bundle).
      globalSetup: [
        ...(database === 'pglite' ? ['server/test/pglite-template.ts'] : []),
        'server/test/run-build-folder.ts',
      ],
      maxWorkers: alone ? 1 : 2,
      isolate: alone,
      sequence: { groupOrder: alone ? 1 : 0 },
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: databases.flatMap((database) => [project(database, false), project(database, true)]),
  },
});
