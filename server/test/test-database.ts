import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import { jobsSchemaFor } from '../src/db/jobs-schema.js';
import { seedStagingSchemaFor } from '../src/db/synthetic-seed-staging.js';
import { type DatabaseHandle, type OpenDatabaseOptions, openDatabase } from '../src/db/client.js';
import { workerEntry } from '../src/db/pglite-worker/worker-entry-location.js';
import { builtServerMain } from './built-server.js';
import { readPgliteTemplate, unpackPgliteTemplate } from './pglite-template.js';

export interface TestDatabaseOptions extends OpenDatabaseOptions {
  /** Connects through this URL instead of TEST_DATABASE_URL (a proxy in front of it); the schema is made directly. */
  connectThrough?: (url: string) => string;
}

/** The PostgreSQL of the "postgres" test project. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL');
  return url;
}

/**
 * A migrated database of its own for one test file: an in-memory PGlite, or (project "postgres") a fresh schema
 * in the PostgreSQL at TEST_DATABASE_URL, dropped on close.
 */
export async function openTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<DatabaseHandle & { schema?: string }> {
  const { connectThrough, ...openOptions } = options;
  if (process.env.CHAINLOG_TEST_DB !== 'postgres') {
    // From the run's migrated template (its migrations then find nothing to do); fresh where none was made.
    const template = inject('pgliteTemplate');
    const loadDataDir = template ? readPgliteTemplate(template) : undefined;
    // The worker as the run's server bundle starts it (from the sources, each worker thread compiled it again with
    // tsx: 0.8 s of the 2.3 s of CPU a test database took to open).
    const entry = workerEntry(pathToFileURL(await builtServerMain()).href);
    return openDatabase({ kind: 'pglite', dataDir: 'memory://', loadDataDir, workerEntry: entry }, openOptions);
  }
  const url = testDatabaseUrl();
  const schema = `test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdminClient(url, (client) => client.query(`create schema ${schema}`));
  const handle = await openDatabase(
    { kind: 'postgres', url: connectThrough ? connectThrough(url) : url, searchPath: schema, poolSize: 10 },
    openOptions,
  );
  return {
    ...handle,
    schema,
    async close() {
      await handle.close();
      await withAdminClient(url, (client) => client.query(dropSchemaStatement(schema)));
    },
  };
}

/**
 * A new folder to give a process as CHAINLOG_DATA_DIR, holding the run's migrated PGlite database (its `pgdata`
 * unpacked from the template): the process opens it (under a second of CPU) instead of running initdb and every
 * migration (3–4 s). For tests of something else than a first start; the caller removes it.
 */
export function migratedPgliteFolder(prefix: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), prefix));
  unpackPgliteTemplate(inject('pgliteTemplate'), path.join(folder, 'pgdata'));
  return folder;
}

/** Drops a test schema, the schema of its chain queue (pg-boss's tables, beside it) and any seed's staging schema. */
export function dropSchemaStatement(schema: string): string {
  return `drop schema if exists "${schema}", "${jobsSchemaFor(schema)}", "${seedStagingSchemaFor(schema)}" cascade`;
}

export async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of a server whose connections work in `schema` (PostgreSQL's options, which pg passes on connect). */
export function searchPathUrl(url: string, schema: string): string {
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return withSchema.toString();
}

/**
 * The environment of a server (in this process or its own) on the test project's database: a schema of its own in
 * the test PostgreSQL, or the PGlite settings `pglite` makes; `drop` removes the schema or what PGlite left.
 */
export async function serverDatabaseEnv(
  pglite: () => { env: Record<string, string>; drop?: () => Promise<void> },
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (process.env.CHAINLOG_TEST_DB !== 'postgres') {
    const { env, drop } = pglite();
    return { env, drop: drop ?? (async () => {}) };
  }
  const url = testDatabaseUrl();
  const schema = `test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdminClient(url, (admin) => admin.query(`create schema ${schema}`));
  return {
    env: { DATABASE_URL: searchPathUrl(url, schema) },
    drop: async () => {
      await withAdminClient(url, (admin) => admin.query(dropSchemaStatement(schema)));
    },
  };
}
