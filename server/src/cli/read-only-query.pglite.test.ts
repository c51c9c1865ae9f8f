import { existsSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readPgliteTemplate } from '../../test/pglite-template.js';
import { type RowBatch, pgliteRows } from './read-only-query.js';

// PGlite's one connection is a superuser's, and its files are the database's: what a read-only transaction still
// lets a superuser do to files must not get through db:sql.
const pglite = new PGlite('memory://', { loadDataDir: readPgliteTemplate(inject('pgliteTemplate')) });
afterAll(() => pglite.close());

async function batchesOf(statement: string): Promise<RowBatch[]> {
  const batches: RowBatch[] = [];
  for await (const batch of pgliteRows(pglite, statement)) batches.push(batch);
  return batches;
}

describe('db:sql on PGlite', () => {
  it('refuses what no cursor takes but explain and show: copy to a file, do, create', async () => {
    await expect(batchesOf("copy (select 1) to '/tmp/chainlog-db-sql-copy'")).rejects.toThrow(
      'on the embedded PGlite db:sql runs a query (select, with, values, table), explain or show, not copy',
    );
    await expect(batchesOf('create table db_sql_scratch (id int)')).rejects.toThrow(/explain or show, not create$/);
    await expect(
      batchesOf("do $$ begin execute 'copy (select 1) to ''/tmp/chainlog-db-sql-do'''; end $$"),
    ).rejects.toThrow(/explain or show, not do$/);
    expect(existsSync('/tmp/chainlog-db-sql-copy') || existsSync('/tmp/chainlog-db-sql-do')).toBe(false);
    expect(await batchesOf('/* settings */ -- one\n show server_version')).toEqual([
      { columns: [{ name: 'server_version', typeId: 25 }], rows: [[expect.any(String)]] },
    ]);
  });
});
