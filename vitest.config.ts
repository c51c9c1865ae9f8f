import { configDefaults, defineConfig } from 'vitest/config';

// The suite runs on embedded PGlite always and, when TEST_DATABASE_URL is set, a second time on that PostgreSQL.
// Tests read the kind from CHAINLOG_TEST_DB through server/test/test-database.ts. Files named *.postgres.test.ts
// test what only a database server can do (go away and come back) and run in the PostgreSQL project alone; files
// named *.pglite.test.ts test what only the embedded database has or needs (its worker thread; the maintenance
// PostgreSQL's autovacuum gives a server) and run in the PGlite project alone.
const databases = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];

export default defineConfig({
  test: {
    // vitest's default (cores - 1): one file at a time on CI's 2 cores. Two at a time failed a CI run: a server's
    // migrations read the catalog of every schema (kysely's introspector) while another file dropped its schema,
    // and PostgreSQL answered "schema ... does not exist".
    projects: databases.map((database) => ({
      test: {
        name: database,
        include: [
          'server/**/*.test.ts',
          'shared/**/*.test.ts',
          'client/src/**/*.test.ts',
          'examples/**/*.test.ts',
          'e2e/**/*.test.ts',
          'scripts/**/*.test.ts',
          'bench/**/*.test.ts',
        ],
        // scripts/ (the deploy and its git hook) use no database: once, in the PGlite project, is enough.
        exclude: [
          ...configDefaults.exclude,
          ...(database === 'postgres' ? ['scripts/**', '**/*.pglite.test.ts'] : ['**/*.postgres.test.ts']),
        ],
        env: { CHAINLOG_TEST_DB: database },
        setupFiles: ['server/test/quiet-logs.ts'],
        // PGlite: test databases start from one migrated in the set-up (see the file).
        globalSetup: database === 'pglite' ? ['server/test/pglite-template.ts'] : [],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
