import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDbSqlAsHeadDoes } from '../../test/db-sql-head.js';
import { openTestDatabase, testDatabaseUrl } from '../../test/test-database.js';
import { runTsxScript, SCRIPT_TIMEOUT_MS } from '../../test/tsx-script.js';
import type { DatabaseHandle } from '../db/client.js';

describe('npm run db:sql on PostgreSQL', { timeout: SCRIPT_TIMEOUT_MS + 15_000 }, () => {
  let database: DatabaseHandle & { schema?: string };
  let url: string;
  const run = (statement: string) =>
    runTsxScript('server/src/cli/sql.ts', [statement, '--format', 'json'], { DATABASE_URL: url });

  beforeAll(async () => {
    database = await openTestDatabase();
    const withSchema = new URL(testDatabaseUrl());
    withSchema.searchParams.set('options', `-c search_path=${database.schema}`);
    url = withSchema.toString();
    await sql`create table db_sql_probe (id int)`.execute(database.db);
    await sql`insert into db_sql_probe values (1), (2)`.execute(database.db);
  });
  afterAll(() => database.close());

  it('reads the schema of DATABASE_URL', async () => {
    const result = await run(
      "select count(*)::int as rows, sum(id)::int as total, timestamp '2026-12-05 01:02:03.123456' as at from db_sql_probe",
    );

    expect(result).toMatchObject({ code: 0, stderr: '' });
    // Times to the microsecond, as PostgreSQL writes them (a JavaScript Date would keep milliseconds).
    expect(JSON.parse(result.stdout)).toEqual([{ rows: 2, total: 3, at: '2026-12-05 01:02:03.123456' }]);
  });

  it('changes nothing, not even through a second statement after a commit', async () => {
    const [write, smuggled] = await Promise.all([
      run('delete from db_sql_probe'),
      run('commit; delete from db_sql_probe'),
    ]);

    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/read-only transaction/);
    expect(smuggled.code).toBe(1);
    expect(smuggled.stderr).toMatch(/multiple commands/);
    const { rows } = await sql<{ rows: number }>`select count(*)::int as rows from db_sql_probe`.execute(database.db);
    expect(rows).toEqual([{ rows: 2 }]);
  });

  it('prints a result many times its heap, a batch at a time', async () => {
    const rows = 60_000;
    let lines = 0;
    let bytes = 0;
    // 60,000 rows of 4 KB: 240 MB of text, in a heap of 64 MB.
    const result = await runTsxScript(
      'server/src/cli/sql.ts',
      [`select n, repeat('x', 4000) as filler from generate_series(1, ${rows}) as n`, '--format', 'csv'],
      { DATABASE_URL: url },
      {
        nodeArgs: ['--max-old-space-size=64'],
        onStdout: (chunk) => {
          bytes += chunk.length;
          lines += chunk.split('\r\n').length - 1;
        },
      },
    );

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines).toBe(rows + 1);
    expect(bytes).toBeGreaterThan(rows * 4000);
  });

  it('stops without a word when its reader does (`| head`)', async () => {
    const result = await readDbSqlAsHeadDoes({ DATABASE_URL: url });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.read.startsWith('n\r\n1\r\n2\r\n')).toBe(true);
  });
});
