import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDbSqlAsHeadDoes } from '../../test/db-sql-head.js';
import { migratedPgliteFolder } from '../../test/test-database.js';
import { SCRIPT_TIMEOUT_MS, runTsxScript } from '../../test/tsx-script.js';

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** db:sql on a migrated PGlite of its own (runs go side by side, and PGlite's files take one process at a time). */
function run(args: string[]) {
  const folder = migratedPgliteFolder('chainlog-sql-');
  folders.push(folder);
  return runTsxScript('server/src/cli/sql.ts', args, { CHAINLOG_DATA_DIR: folder });
}

describe('npm run db:sql', { timeout: SCRIPT_TIMEOUT_MS + 15_000 }, () => {
  it('runs one statement on the embedded PGlite and prints its rows, in each format', async () => {
    const query =
      "select 2 + 2 as four, 'a,b' as text, current_setting('transaction_read_only') as read_only, timestamptz '2026-12-05 01:02:03.123456Z' as at";
    const [table, csv] = await Promise.all([run([query]), run([query, '--format', 'csv'])]);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.split('\n')).toEqual([
      'four | text | read_only | at                           ',
      '-----+------+-----------+------------------------------',
      '   4 | a,b  | on        | 2026-12-05 01:02:03.123456+00',
      '(1 row)',
      '',
    ]);
    // Times to the microsecond, as PostgreSQL writes them (a JavaScript Date would keep milliseconds).
    expect(csv.stdout).toBe('four,text,read_only,at\r\n4,"a,b",on,2026-12-05 01:02:03.123456+00\r\n');
  });

  it('stops without a word when its reader does (`| head`), and closes the database: no lock left', async () => {
    const folder = migratedPgliteFolder('chainlog-sql-head-');
    folders.push(folder);
    const result = await readDbSqlAsHeadDoes({ CHAINLOG_DATA_DIR: folder });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.read.startsWith('n\r\n1\r\n2\r\n')).toBe(true);
    expect(existsSync(path.join(folder, 'pgdata', 'chainlog.pid'))).toBe(false);
  });

  it('changes nothing: a write fails as in a read-only transaction, exit 1', async () => {
    const result = await run(['select datname from pg_database for update']);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/read-only transaction/);
    expect(result.stdout).toBe('');
  });

  it('escapes the control characters of a value an error message quotes', async () => {
    const result = await run(["select (E'\\u001b[2J' || 'x')::int"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid input syntax for type integer: "\\u001b[2Jx"');
    expect(result.stderr).not.toContain('\u001b');
  });

  it('answers a wrong use with the usage and exit 2, before opening a database', async () => {
    const result = await run(['select 1', '--format', 'xml']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--format is table, csv or json');
  });

  it('reads the statement from stdin given -, and refuses one holding a NUL character before opening a database', async () => {
    const folder = migratedPgliteFolder('chainlog-sql-');
    folders.push(folder);
    const fromStdin = (statement: string) =>
      runTsxScript(
        'server/src/cli/sql.ts',
        ['-', '--format', 'csv'],
        { CHAINLOG_DATA_DIR: folder },
        { stdin: statement },
      );

    expect(await fromStdin('select 41 + 1 as answer\n')).toMatchObject({ code: 0, stdout: 'answer\r\n42\r\n' });
    expect(await fromStdin("select 'a\0b' as text")).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'the statement holds a NUL character, which PostgreSQL does not take\n',
    });
  });

  it('refuses a data directory that holds no database rather than make an empty one', async () => {
    const result = await runTsxScript('server/src/cli/sql.ts', ['select 1'], {
      CHAINLOG_DATA_DIR: '/tmp/chainlog-no-such-data-dir',
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/tmp/chainlog-no-such-data-dir holds no Chainlog database');
  });
});
