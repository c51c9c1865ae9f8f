import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchemaStatement, searchPathUrl, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { connectionConfig, createDialect } from './dialect.js';

const schema = `test_dialect_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(`create schema ${schema}`));
});

afterAll(async () => {
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(dropSchemaStatement(schema)));
});

/** The settings a connection of the app's pool runs with, for a target URL. */
async function settingsOf(url: string): Promise<{ jit: string; search_path: string; synchronous_commit: string }> {
  const { dialect } = createDialect({ kind: 'postgres', url, synchronousCommit: false, poolSize: 1 });
  const db = new Kysely<unknown>({ dialect });
  try {
    const { rows } = await sql<{ jit: string; search_path: string; synchronous_commit: string }>`
      select current_setting('jit') as jit, current_setting('search_path') as search_path,
             current_setting('synchronous_commit') as synchronous_commit`.execute(db);
    const [row] = rows;
    if (!row) throw new Error('no settings');
    return row;
  } finally {
    await db.destroy();
  }
}

describe("the app's PostgreSQL connections", () => {
  // First in the file: node prints a deprecation once per process, so a later test would not see it.
  // The log writer's statements go through pool.query(), which sends its statement in the same turn as the pool
  // hands the new connection out.
  it('are handed out only once their set-up statement has answered (pg 9 refuses a statement sent during another)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const { pool } = createDialect({ kind: 'postgres', url: testDatabaseUrl(), poolSize: 1 });
    if (!pool) throw new Error('a PostgreSQL dialect has a pool');
    try {
      const { rows } = await pool.query<{ jit: string }>(`select current_setting('jit') as jit`);
      expect(rows).toEqual([{ jit: 'off' }]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await pool.end();
    }
    expect(warnings.filter((message) => message.includes('already executing a query'))).toEqual([]);
  });

  it('run without JIT, whose compiling costs more than any of their statements', async () => {
    expect(await settingsOf(testDatabaseUrl())).toMatchObject({ jit: 'off', synchronous_commit: 'off' });
  });

  it('send no startup options unless the target needs them (poolers such as PgBouncer refuse them)', () => {
    expect(connectionConfig({ kind: 'postgres', url: testDatabaseUrl() }).options).toBeUndefined();
  });

  it("keep the URL's options beside their own, and let them turn JIT back on", async () => {
    const url = new URL(searchPathUrl(testDatabaseUrl(), schema));
    url.searchParams.set('options', `${url.searchParams.get('options')} -c jit=on`);
    expect(await settingsOf(url.toString())).toEqual({ jit: 'on', search_path: schema, synchronous_commit: 'off' });
  });
});
