import { PGlite, protocol } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { databaseFields, failureOf } from '../../test/database-errors.js';
import { readPgliteTemplate } from '../../test/pglite-template.js';
import { PreparedPGlite } from './pglite-prepared.js';

const template = () => readPgliteTemplate(inject('pgliteTemplate'));

let prepared: PreparedPGlite;
let plain: PGlite;

beforeAll(async () => {
  prepared = new PreparedPGlite(new PGlite('memory://', { loadDataDir: template() }));
  plain = new PGlite('memory://', { loadDataDir: template() });
  await Promise.all([prepared.waitReady, plain.waitReady]);
});

afterAll(async () => {
  await Promise.all([prepared?.close(), plain?.close()]);
});

beforeEach(async () => {
  for (const database of [prepared, plain]) {
    await database.query('drop table if exists prepared_test', []);
    await database.query('create table prepared_test (id int primary key, name text not null, doc jsonb)', []);
    await database.query(`insert into prepared_test values (1, 'one', '{"a": 1}')`, []);
  }
});

/** Our statements that PostgreSQL holds prepared now. */
async function preparedOnServer(): Promise<number> {
  const { rows } = await prepared.query<{ count: number }>(
    "select count(*)::int as count from pg_prepared_statements where name like 'chainlog_%'",
    [],
  );
  return rows[0]?.count ?? Number.NaN;
}

describe('PGlite with named prepared statements', () => {
  it('returns the same rows and counts as PGlite’s query(), the first time and once prepared', async () => {
    const statements: [string, unknown[]][] = [
      ['select id, name, doc from prepared_test where id = $1', [1]],
      ['insert into prepared_test (id, name, doc) values ($1, $2, $3) returning *', [2, 'two', '{"b": [1, 2]}']],
      ['update prepared_test set name = $1 where id >= $2', ['many', 1]],
      [
        'select $1::timestamptz as at, $2::int8 as big, $3::text[] as texts, $4::text as nothing, count(*) as counted from prepared_test',
        [new Date('2026-03-01T09:00:00.5Z'), 2n ** 60n, ['x', 'y'], null],
      ],
      ['delete from prepared_test where id = $1', [2]],
      // Rows without a result: their count is all a writer gets back.
      ['insert into prepared_test (id, name) values ($1, $2), ($3, $4)', [3, 'three', 4, 'four']],
      ['insert into prepared_test (id, name) values ($1, $2) on conflict (id) do nothing', [3, 'again']],
      ['select id from prepared_test where id > $1', [100]],
      // Two columns of one name: the last one wins, as in PGlite's own results.
      ['select id as same, name as same, $1::jsonb as doc from prepared_test where id = $2', ['[1, {"x": null}]', 1]],
      [
        'with gone as (delete from prepared_test where id >= $1 returning id) select count(*)::int as gone from gone',
        [3],
      ],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [statement, params] of statements) {
        const [fromPrepared, fromPlain] = await Promise.all([
          prepared.query(statement, params),
          plain.query(statement, params),
        ]);
        expect(fromPrepared.rows).toEqual(fromPlain.rows);
        expect(fromPrepared.affectedRows).toBe(fromPlain.affectedRows);
      }
    }
    expect(prepared.preparedCount).toBeGreaterThanOrEqual(statements.length);
  });

  it.each([
    ['a syntax error (while preparing)', 'selec $1::int', [1], '42601'],
    ['a missing table (while preparing)', 'select * from no_such_table where id = $1', [1], '42P01'],
    [
      'a unique violation (once prepared)',
      'insert into prepared_test (id, name) values ($1, $2)',
      [1, 'again'],
      '23505',
    ],
    ['a bad parameter (once prepared)', 'select * from prepared_test where id = $1', ['not a number'], '22P02'],
  ])('fails %s with every field of PGlite’s own DatabaseError', async (_what, statement, params, code) => {
    for (let round = 0; round < 2; round++) {
      const fromPrepared = await failureOf(prepared.query(statement, params));
      const fromPlain = await failureOf(plain.query(statement, params));

      expect(fromPrepared).toBeInstanceOf(protocol.messages.DatabaseError);
      expect(Reflect.get(fromPrepared, 'code')).toBe(code);
      expect(databaseFields(fromPrepared, ['query', 'params'])).toEqual(databaseFields(fromPlain, ['query', 'params']));
    }
  });

  it('keeps working after a failed statement', async () => {
    await failureOf(prepared.query('insert into prepared_test (id, name) values ($1, $2)', [1, 'again']));

    await expect(prepared.query('select name from prepared_test where id = $1', [1])).resolves.toMatchObject({
      rows: [{ name: 'one' }],
    });
  });

  it('keeps at most its capacity of statements prepared, closing the least recently used', async () => {
    const small = new PreparedPGlite(new PGlite('memory://', { loadDataDir: template() }), { capacity: 3 });
    try {
      for (let value = 0; value < 10; value++) {
        await expect(small.query(`select $1::int + ${value} as sum`, [1])).resolves.toMatchObject({
          rows: [{ sum: 1 + value }],
        });
        expect(small.preparedCount).toBeLessThanOrEqual(3);
      }
      const { rows } = await small.query<{ names: string[] }>(
        'select array_agg(name order by name) as names from pg_prepared_statements',
        [],
      );
      expect(rows[0]?.names).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it('reads a table’s new columns after DDL through it', async () => {
    const select = 'select * from prepared_test where id = $1';
    await prepared.query(select, [1]);

    await prepared.query('alter table prepared_test add column extra int default 7', []);

    await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, extra: 7 }] });
    // The forgotten statements were closed, not left behind.
    expect(await preparedOnServer()).toBe(prepared.preparedCount);
  });

  it('prepares a statement again when its result type changed under it (DDL it did not see)', async () => {
    const select = 'select * from prepared_test where id = $1';
    await prepared.query(select, [1]);
    // DDL inside a function called by a select: the statement cache does not see it; PostgreSQL refuses the plan.
    await prepared.query(
      'create or replace function widen_prepared_test() returns void language sql as $$ alter table prepared_test add column later text $$',
      [],
    );
    await prepared.query(select, [1]);
    await prepared.query('select widen_prepared_test()', []);

    await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, later: null }] });
  });

  it('inside a transaction, fails the statement whose result type changed, and runs it after the rollback', async () => {
    const select = 'select * from prepared_test where id = $1';
    await prepared.query(
      'create or replace function widen_prepared_test() returns void language sql as $$ alter table prepared_test add column later text $$',
      [],
    );
    await prepared.query(select, [1]);
    await prepared.query('start transaction', []);
    try {
      await prepared.query('select widen_prepared_test()', []);

      const error = await failureOf(prepared.query(select, [1]));
      expect(error).toMatchObject({ code: '0A000', message: 'cached plan must not change result type' });
    } finally {
      await prepared.query('rollback', []);
    }

    await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, name: 'one' }] });
  });

  it.each([
    [
      'explain, with analyze',
      ['explain select * from prepared_test', 'explain (analyze, costs off) update prepared_test set name = name'],
    ],
    ['lock', ['start transaction', 'lock table prepared_test in share mode', 'commit']],
    ['truncate', ['truncate prepared_test']],
    ['listen, notify and unlisten', ['listen prepared_test', 'notify prepared_test', 'unlisten prepared_test']],
    ['show, set and reset of other settings', ['show work_mem', "set work_mem = '8MB'", 'reset work_mem']],
    ['set local in a transaction, and its end', ['start transaction', "set local statement_timeout = '5s'", 'commit']],
    [
      'savepoints and a rollback',
      ['start transaction', 'savepoint before', 'rollback to savepoint before', 'rollback'],
    ],
    ['analyze, vacuum and checkpoint', ['analyze prepared_test', 'vacuum prepared_test', 'checkpoint']],
  ])('keeps its prepared statements through %s', async (_what, statements) => {
    await prepared.query('select name from prepared_test where id = $1', [1]);
    const before = prepared.preparedCount;

    for (const statement of statements) await prepared.query(statement, []);

    expect(before).toBeGreaterThan(0);
    expect(prepared.preparedCount).toBe(before);
  });

  it.each([
    ['set role', ['set role postgres']],
    ['set session authorization', ['set session authorization postgres']],
    ['reset all', ['reset all']],
    ['deallocate all', ['deallocate all']],
    [
      'explain analyze of a create table as',
      ['explain analyze create table prepared_copy as select * from prepared_test', 'drop table prepared_copy'],
    ],
  ])('forgets its prepared statements on %s', async (_what, statements) => {
    await prepared.query('select name from prepared_test where id = $1', [1]);

    for (const statement of statements) await prepared.query(statement, []);

    expect(prepared.preparedCount).toBe(0);
    await expect(prepared.query('select name from prepared_test where id = $1', [1])).resolves.toMatchObject({
      rows: [{ name: 'one' }],
    });
  });

  describe('with a second table of the same name in another schema', () => {
    const select = 'select * from prepared_test where id = $1';
    beforeEach(async () => {
      await prepared.query('drop schema if exists prepared_other cascade', []);
      await prepared.query('create schema prepared_other', []);
      await prepared.query('create table prepared_other.prepared_test (id int, other text)', []);
      await prepared.query(`insert into prepared_other.prepared_test values (1, 'other')`, []);
    });

    it.each([
      ['set local search_path', 'set local search_path = prepared_other, public'],
      ['set local schema', `set local schema 'prepared_other'`],
      ['set_config', `select set_config('search_path', 'prepared_other, public', true)`],
    ])(
      'reads the table the search path finds after %s in a transaction, and the first again after it',
      async (_what, setting) => {
        await prepared.query(select, [1]);
        await prepared.query('start transaction', []);
        try {
          await prepared.query(setting, []);

          await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, other: 'other' }] });
        } finally {
          await prepared.query('commit', []);
        }
        await prepared.query('start transaction', []);
        try {
          await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, name: 'one' }] });
        } finally {
          await prepared.query('rollback', []);
        }
      },
    );
  });

  it.each([
    ['a rollback', ['rollback', 'start transaction']],
    ['a rollback to a savepoint', ['rollback to savepoint before']],
  ])('forgets what it prepared after DDL that %s took back', async (_what, rollback) => {
    const select = 'select * from prepared_test where id = $1';
    await prepared.query(select, [1]);
    await prepared.query('start transaction', []);
    try {
      await prepared.query('savepoint before', []);
      await prepared.query('alter table prepared_test add column extra int', []);
      await expect(prepared.query(select, [1])).resolves.toMatchObject({ rows: [{ id: 1, extra: null }] });
      for (const statement of rollback) await prepared.query(statement, []);

      const { rows } = await prepared.query(select, [1]);
      expect(rows).toEqual([{ id: 1, name: 'one', doc: { a: 1 } }]);
    } finally {
      await prepared.query('rollback', []);
    }
  });

  it('runs statements of a transaction prepared, and rolls them back', async () => {
    const insert = 'insert into prepared_test (id, name) values ($1, $2)';
    await prepared.query(insert, [5, 'five']);
    await prepared.query('start transaction', []);
    await prepared.query(insert, [6, 'six']);
    await prepared.query('rollback', []);

    const { rows } = await prepared.query<{ id: number }>('select id from prepared_test order by id', []);
    expect(rows.map((row) => row.id)).toEqual([1, 5]);
  });
});

describe('PreparedPGlite once closed', () => {
  it('fails the statements handed over after close(), as PGlite does, and runs those handed over before', async () => {
    const closing = new PreparedPGlite(new PGlite('memory://', { loadDataDir: template() }));
    await closing.waitReady;
    const before = closing.query<{ one: number }>('select 1 as one', []);
    const closed = closing.close();
    const after = closing.query<{ one: number }>('select 1 as one', []);
    expect((await before).rows).toEqual([{ one: 1 }]);
    await closed;
    expect((await failureOf(after)).message).toBe('PGlite is closed');
  });
});
