import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../src/db/client.js';

/**
 * A migrated database of its own for one test file: an in-memory PGlite, or (project "postgres") a fresh schema
 * in the PostgreSQL at TEST_DATABASE_URL, dropped on close.
 */
export async function openTestDatabase(): Promise<DatabaseHandle> {
  if (process.env.CHAINLOG_TEST_DB !== 'postgres') return openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL');
  const schema = `test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdminClient(url, (client) => client.query(`create schema ${schema}`));
  const handle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 10 });
  return {
    ...handle,
    async close() {
      await handle.close();
      await withAdminClient(url, (client) => client.query(`drop schema ${schema} cascade`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
