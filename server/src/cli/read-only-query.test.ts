import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readPgliteTemplate } from '../../test/pglite-template.js';
import { testDatabaseUrl } from '../../test/test-database.js';
import { ROWS_PER_BATCH, type RowBatch, type ValueForm, pgliteRows, readOnlyRows } from './read-only-query.js';

// db:sql's reading, in this process: on the test PostgreSQL as db:sql reads it, and on one in-memory PGlite (the run's
// migrated template) for every test: opening one is a second or more of CPU.
const onPostgres = process.env.CHAINLOG_TEST_DB === 'postgres';
const pglite = onPostgres
  ? undefined
  : new PGlite('memory://', { loadDataDir: readPgliteTemplate(inject('pgliteTemplate')) });
afterAll(() => pglite?.close());

const rowsOf = (statement: string, form?: ValueForm) =>
  pglite
    ? pgliteRows(pglite, statement, form)
    : readOnlyRows({ kind: 'postgres', url: testDatabaseUrl() }, statement, form);

async function batchesOf(statement: string, form?: ValueForm): Promise<RowBatch[]> {
  const batches: RowBatch[] = [];
  for await (const batch of rowsOf(statement, form)) batches.push(batch);
  return batches;
}

const INT4 = 23;
const TEXT = 25;

describe('db:sql reading one statement', () => {
  it(`reads a query's rows ${ROWS_PER_BATCH} at a time, each batch with the columns`, async () => {
    const count = ROWS_PER_BATCH * 2 + 500;
    const batches = await batchesOf(`select n, 'row ' || n as label from generate_series(1, ${count}) as n`);

    expect(batches.map((batch) => batch.rows.length)).toEqual([ROWS_PER_BATCH, ROWS_PER_BATCH, 500]);
    expect(batches.every((batch) => batch.columns.map((column) => column.name).join() === 'n,label')).toBe(true);
    expect(batches.flatMap((batch) => batch.rows).map(([n]) => Number(n))).toEqual(
      Array.from({ length: count }, (_, index) => index + 1),
    );
  });

  it('gives the columns of an empty result, and both of two columns of one name', async () => {
    expect(await batchesOf("select 1 as id, 'x' as name where false")).toEqual([
      {
        columns: [
          { name: 'id', typeId: INT4 },
          { name: 'name', typeId: TEXT },
        ],
        rows: [],
      },
    ]);
    expect(await batchesOf('select 1 as a, 2 as a')).toEqual([
      {
        columns: [
          { name: 'a', typeId: INT4 },
          { name: 'a', typeId: INT4 },
        ],
        rows: [['1', '2']],
      },
    ]);
  });

  it('reads a statement no cursor takes (explain) whole', async () => {
    const [batch, ...more] = await batchesOf('explain select 1');

    expect(more).toEqual([]);
    expect(batch?.columns).toEqual([{ name: 'QUERY PLAN', typeId: TEXT }]);
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

    expect(await batchesOf('select 1 as one')).toEqual([{ columns: [{ name: 'one', typeId: INT4 }], rows: [['1']] }]);
  });

  it('reads values as psql shows them, or as JSON has them for --format json', async () => {
    const statement = `select interval '1 day 02:03:04' as span, '\\x00ff'::bytea as bytes, array[1, 2] as ints,
      true as yes, 1.5::float8 as half, 'NaN'::float8 as nan, '{"k": [1]}'::jsonb as doc, array['x y', 'z'] as words,
      12345678901234567890::numeric as numeric, 9007199254740993::int8 as big,
      timestamp '2026-12-05 01:02:03.123456' as at, null::text as nothing, '' as empty`;
    const rowOf = async (form: ValueForm) => (await batchesOf(statement, form))[0]?.rows[0];
    const asText = ['1 day 02:03:04', '\\x00ff', '{1,2}', 't', '1.5', 'NaN', '{"k": [1]}', '{"x y",z}'];
    const exact = ['12345678901234567890', '9007199254740993', '2026-12-05 01:02:03.123456', null, ''];

    expect(await rowOf('text')).toEqual([...asText, ...exact]);
    expect(await rowOf('json')).toEqual([
      '1 day 02:03:04',
      '\\x00ff',
      [1, 2],
      true,
      1.5,
      Number.NaN,
      { k: [1] },
      ['x y', 'z'],
      ...exact,
    ]);
  });

  it('says where a query is wrong, as written (not as the cursor around it)', async () => {
    await expect(batchesOf('select nope from generate_series(1, 2) as n')).rejects.toMatchObject({
      message: expect.stringMatching(/column "nope" does not exist/),
      position: '8',
    });
  });
});
