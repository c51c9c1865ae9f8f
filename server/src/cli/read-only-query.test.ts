import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readPgliteTemplate } from '../../test/pglite-template.js';
import { testDatabaseUrl } from '../../test/test-database.js';
import { ROWS_PER_BATCH, type RowBatch, pgliteRows, readOnlyRows } from './read-only-query.js';

// db:sql's reading, in this process: on the test PostgreSQL as db:sql reads it, and on one in-memory PGlite (the run's
// migrated template) for every test: opening one is a second or more of CPU.
const onPostgres = process.env.CHAINLOG_TEST_DB === 'postgres';
const pglite = onPostgres
  ? undefined
  : new PGlite('memory://', { loadDataDir: readPgliteTemplate(inject('pgliteTemplate')) });
afterAll(() => pglite?.close());

const rowsOf = (statement: string) =>
  pglite ? pgliteRows(pglite, statement) : readOnlyRows({ kind: 'postgres', url: testDatabaseUrl() }, statement);

async function batchesOf(statement: string): Promise<RowBatch[]> {
  const batches: RowBatch[] = [];
  for await (const batch of rowsOf(statement)) batches.push(batch);
  return batches;
}

describe('db:sql reading one statement', () => {
  it(`reads a query's rows ${ROWS_PER_BATCH} at a time, each batch with the columns`, async () => {
    const count = ROWS_PER_BATCH * 2 + 500;
    const batches = await batchesOf(`select n, 'row ' || n as label from generate_series(1, ${count}) as n`);

    expect(batches.map((batch) => batch.rows.length)).toEqual([ROWS_PER_BATCH, ROWS_PER_BATCH, 500]);
    expect(batches.every((batch) => batch.columns.join() === 'n,label')).toBe(true);
    expect(batches.flatMap((batch) => batch.rows).map(([n]) => Number(n))).toEqual(
      Array.from({ length: count }, (_, index) => index + 1),
    );
  });

  it('gives the columns of an empty result, and both of two columns of one name', async () => {
    expect(await batchesOf('select 1 as id, 2 as name where false')).toEqual([{ columns: ['id', 'name'], rows: [] }]);
    expect(await batchesOf('select 1 as a, 2 as a')).toEqual([{ columns: ['a', 'a'], rows: [[1, 2]] }]);
  });

  it('reads a statement no cursor takes (explain) whole', async () => {
    const [batch, ...more] = await batchesOf('explain select 1');

    expect(more).toEqual([]);
    expect(batch?.columns).toEqual(['QUERY PLAN']);
    expect(String(batch?.rows[0]?.[0])).toMatch(/^Result {2}\(cost=/);
  });

  it('runs one statement only, and changes nothing', async () => {
    await expect(batchesOf('select 1; select 2')).rejects.toThrow(/multiple commands/);
    await expect(batchesOf('select datname from pg_database for update')).rejects.toThrow(/read-only transaction/);
    await expect(batchesOf('create table db_sql_scratch (id int)')).rejects.toThrow();
    await expect(batchesOf("select * from pg_class where relname = 'db_sql_scratch'")).resolves.toEqual([
      expect.objectContaining({ rows: [] }),
    ]);
  });

  it('stops reading when its reader does, and can read again', async () => {
    let read = 0;
    for await (const batch of rowsOf('select n from generate_series(1, 5000) as n')) {
      read += batch.rows.length;
      break;
    }

    expect(read).toBe(ROWS_PER_BATCH);

    expect(await batchesOf('select 1 as one')).toEqual([{ columns: ['one'], rows: [[1]] }]);
  });

  it('says where a query is wrong, as written (not as the cursor around it)', async () => {
    await expect(batchesOf('select nope from generate_series(1, 2) as n')).rejects.toMatchObject({
      message: expect.stringMatching(/column "nope" does not exist/),
      position: '8',
    });
  });
});
