import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { databaseFreeTestFiles } from './server/test/database-free-tests.js';
import { ImportGraph } from './server/test/import-graph.js';
import { browserTestFiles, processStartingTestFiles } from './server/test/process-starting-tests.js';

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

// Three groups, one after the other. Files that run in-process: two at a time, sharing their worker's modules (no
// isolation: imports were 156 s of a run, paid again by every file). Files that start processes (a server as
// `npm start` runs it, PostgreSQL, the CLI, npm): after them, two at a time, each in a fresh process; most of their
// time is a child's start-up or a wait for a lease or a timer, and one at a time left a core idle (81 % busy).
// Files that start Chromium: last, one at a time: two Chromiums at once, each with its server, slowed pages past the
// tests' waits on CI's 2 cores. Each group is derived from the import graph on every run, see
// server/test/process-starting-tests.ts.
const processStarting = processStartingTestFiles(graph, TEST_FOLDERS);
const browser = browserTestFiles(graph, TEST_FOLDERS);
const processesOnly = processStarting.filter((file) => !browser.includes(file));

type Group = 'in-process' | 'processes' | 'browser';
const GROUPS: Record<Group, { suffix: string; order: number; maxWorkers: number }> = {
  'in-process': { suffix: '', order: 0, maxWorkers: 2 },
  processes: { suffix: '-processes', order: 1, maxWorkers: 2 },
  browser: { suffix: '-browser', order: 2, maxWorkers: 1 },
};

function project(database: string, group: Group): TestProjectInlineConfiguration {
  const onlyOtherDatabase =
    database === 'postgres' ? ['**/*.pglite.test.ts', ...databaseFree] : ['**/*.postgres.test.ts'];
  const { suffix, order, maxWorkers } = GROUPS[group];
  const inProcess = group === 'in-process';
  return {
    test: {
      name: `${database}${suffix}`,
      include: inProcess
        ? TEST_FOLDERS.map((folder) => `${folder}/**/*.test.ts`)
        : group === 'processes'
          ? processesOnly
          : browser,
      exclude: [...configDefaults.exclude, ...onlyOtherDatabase, ...(inProcess ? processStarting : [])],
      env: { CHAINLOG_TEST_DB: database },
      setupFiles: ['server/test/quiet-logs.ts'],
      // PGlite: test databases start from one migrated in the set-up (see the file). Both: the run's folder for
      // the builds suites share (the client, the server bundle).
      globalSetup: [
        ...(database === 'pglite' ? ['server/test/pglite-template.ts'] : []),
        'server/test/run-build-folder.ts',
      ],
      maxWorkers,
      isolate: !inProcess,
      sequence: { groupOrder: order },
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: databases.flatMap((database) => [
      project(database, 'in-process'),
      project(database, 'processes'),
      project(database, 'browser'),
    ]),
  },
});
