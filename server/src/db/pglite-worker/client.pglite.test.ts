import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite, protocol } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { captureLogs } from '../../../test/captured-logs.js';
import { databaseFields, failureOf } from '../../../test/database-errors.js';
import { readPgliteTemplate } from '../../../test/pglite-template.js';
import { PGliteDialect } from '../pglite-dialect.js';
import { EmbeddedDatabaseStoppedError, PGliteWorkerClient } from './client.js';
import { workerEntry } from './worker-entry-location.js';

const runFile = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The run's migrated data directory: opening from it skips initdb. */
const template = () => readPgliteTemplate(inject('pgliteTemplate'));

let worker: PGliteWorkerClient;
let inProcess: PGlite;

beforeAll(async () => {
  worker = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir: template() });
  inProcess = new PGlite('memory://', { loadDataDir: template() });
  await Promise.all([worker.waitReady, inProcess.waitReady]);
  for (const database of [worker, inProcess]) {
    await database.query('create table worker_test (id int primary key, name text not null, amount numeric)', []);
    await database.query("insert into worker_test values (1, 'one', 1.50)", []);
  }
});

afterAll(async () => {
  await Promise.all([worker?.close(), inProcess?.close()]);
});

describe('PGlite in a worker thread', () => {
  it.each([
    ['a unique violation', "insert into worker_test values (1, 'again', null)", '23505'],
    ['a not-null violation', 'insert into worker_test (id) values (2)', '23502'],
    ['a syntax error', 'selec 1', '42601'],
    ['a missing table', 'select * from no_such_table', '42P01'],
  ])(
    'fails %s with PGlite’s own DatabaseError, every field as PGlite in this thread gives it',
    async (_what, statement, code) => {
      const fromWorker = await failureOf(worker.query(statement, []));
      const fromThisThread = await failureOf(inProcess.query(statement, []));

      expect(fromWorker).toBeInstanceOf(protocol.messages.DatabaseError);
      expect(Reflect.get(fromWorker, 'code')).toBe(code);
      expect(databaseFields(fromWorker)).toEqual(databaseFields(fromThisThread));
    },
  );

  it('names the constraint, table and key of a unique violation', async () => {
    const error = await failureOf(worker.query("insert into worker_test values (1, 'again', null)", []));

    expect(error).toMatchObject({
      code: '23505',
      severity: 'ERROR',
      schema: 'public',
      table: 'worker_test',
      constraint: 'worker_test_pkey',
      detail: 'Key (id)=(1) already exists.',
      message: 'duplicate key value violates unique constraint "worker_test_pkey"',
    });
  });

  it('returns every type as PGlite in this thread does: dates, int8, numeric, jsonb, bytea, arrays, nulls', async () => {
    const statement = `select
      timestamptz '2026-03-01 09:00:00.123+00' as at, date '2026-03-01' as day, 9007199254740993::int8 as big,
      42::int8 as small, count(*) as counted, 1.50::numeric(10, 2) as money, '{"a": [1, {"b": null}]}'::jsonb as doc,
      '\\x00ff10'::bytea as bytes, array[1, 2, 3] as ints, array['a', null, 'c'] as texts,
      array[timestamptz '2026-03-01 09:00:00+00'] as dates, null::text as nothing, true as yes, 1.5::float8 as real,
      '0193b4c4-0000-7000-8000-000000000000'::uuid as id, interval '1 day 2 hours' as span
      from worker_test`;
    const [fromWorker, fromThisThread] = await Promise.all([
      worker.query(statement, []),
      inProcess.query(statement, []),
    ]);

    expect(fromWorker.rows).toEqual(fromThisThread.rows);
    expect(fromWorker.rows[0]).toMatchObject({
      at: new Date('2026-03-01T09:00:00.123Z'),
      big: 9007199254740993n,
      small: 42,
      money: '1.50',
      doc: { a: [1, { b: null }] },
      bytes: new Uint8Array([0, 255, 16]),
      ints: [1, 2, 3],
      texts: ['a', null, 'c'],
      dates: [new Date('2026-03-01T09:00:00Z')],
      nothing: null,
    });
  });

  it('sends parameters as PGlite in this thread takes them: a Date, bytes, a bigint, an array, null', async () => {
    const statement =
      'select $1::timestamptz as at, $2::bytea as bytes, $3::int8 as big, $4::text[] as texts, $5::text as nothing';
    const params = [new Date('2026-03-01T09:00:00.5Z'), Buffer.from([1, 2, 3]), 2n ** 60n, ['x', 'y'], null];
    const [fromWorker, fromThisThread] = await Promise.all([
      worker.query(statement, params),
      inProcess.query(statement, params),
    ]);

    expect(fromWorker.rows).toEqual(fromThisThread.rows);
    expect(fromWorker.rows[0]).toEqual({
      at: new Date('2026-03-01T09:00:00.5Z'),
      bytes: new Uint8Array([1, 2, 3]),
      big: 2n ** 60n,
      texts: ['x', 'y'],
      nothing: null,
    });
  });

  it('counts the rows a write changed', async () => {
    const result = await worker.query("update worker_test set name = 'uno' where id = 1", []);

    expect(result.affectedRows).toBe(1);
  });

  it('fails a statement whose parameter cannot be cloned, and only that one', async () => {
    await expect(worker.query('select $1::text', [() => 'a function'])).rejects.toThrow(/could not be cloned/);
    await expect(worker.query('select 1 as one', [])).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });
});

describe('Kysely on PGlite in a worker thread', () => {
  let db: Kysely<{ worker_test: { id: number; name: string; amount: string | null } }>;
  beforeAll(async () => {
    const client = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir: template() });
    db = new Kysely({ dialect: new PGliteDialect(client) });
    await sql`create table worker_test (id int primary key, name text not null, amount numeric)`.execute(db);
  });
  afterAll(() => db?.destroy());

  it('commits a transaction, and rolls back one that throws, while statements outside it wait their turn', async () => {
    let outsideRan = false;
    const committed = db.transaction().execute(async (transaction) => {
      await transaction.insertInto('worker_test').values({ id: 10, name: 'ten', amount: '1' }).execute();
      // A statement outside the transaction, started now, runs only after the commit: PGlite is one session.
      const outside = db
        .selectFrom('worker_test')
        .select('id')
        .execute()
        .then((rows) => {
          outsideRan = true;
          return rows;
        });
      await transaction.insertInto('worker_test').values({ id: 11, name: 'eleven', amount: null }).execute();
      expect(outsideRan).toBe(false);
      // Wrapped: returning the promise itself would make the transaction wait for it, and it for the transaction.
      return { outside };
    });
    const failed = failureOf(
      db.transaction().execute(async (transaction) => {
        await transaction.insertInto('worker_test').values({ id: 20, name: 'twenty', amount: null }).execute();
        await transaction.insertInto('worker_test').values({ id: 20, name: 'twenty again', amount: null }).execute();
      }),
    );

    expect(await (await committed).outside).toEqual([{ id: 10 }, { id: 11 }]);
    expect(await failed).toMatchObject({ code: '23505' });
    expect(await db.selectFrom('worker_test').select(['id', 'name']).orderBy('id').execute()).toEqual([
      { id: 10, name: 'ten' },
      { id: 11, name: 'eleven' },
    ]);
  });

  it('reports the rows an update changed', async () => {
    const [result] = await db.updateTable('worker_test').set({ amount: '2.5' }).where('id', '>=', 10).execute();

    expect(result?.numUpdatedRows).toBe(2n);
  });
});

describe('the worker’s life', () => {
  it('writes a file-backed database out on close: opened again, it has the rows; statements after close fail', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'chainlog-pglite-worker-'));
    try {
      const first = new PGliteWorkerClient({ dataDir, loadDataDir: template() });
      await first.query('create table kept (id int)', []);
      await first.query('insert into kept values (1), (2)', []);
      await first.close();
      await first.close();
      await expect(first.query('select 1', [])).rejects.toThrow(EmbeddedDatabaseStoppedError);
      await expect(first.query('select 1', [])).rejects.toThrow(/is closed/);

      const again = new PGliteWorkerClient({ dataDir });
      try {
        expect((await again.query('select count(*)::int as rows from kept', [])).rows).toEqual([{ rows: 2 }]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails the statements waiting on a worker that dies, and every later one, naming the exit; logs it', async () => {
    // The real worker, plus a listener that ends its thread when it is sent `select 'crash'`.
    const real = workerEntry();
    const crashing = {
      eval: true,
      script: `${real.script}
        require('node:worker_threads').parentPort.on('message', (message) => {
          if (message.sql === "select 'crash'") process.exit(3);
        });`,
    };
    const client = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir: template(), entry: crashing });
    const captured = captureLogs();
    try {
      await client.waitReady;
      // Both are posted before the worker reads either: the second waits on a thread that is already gone.
      const waiting = [client.query("select 'crash'", []), client.query('select 2', [])];

      for (const statement of waiting) {
        await expect(statement).rejects.toThrow(EmbeddedDatabaseStoppedError);
        await expect(statement).rejects.toThrow(/stopped \(exit code 3\)/);
      }
      await expect(client.query('select 1', [])).rejects.toThrow(/stopped \(exit code 3\)/);
      expect(captured.logs).toContainEqual({
        type: 'error',
        tag: 'db',
        message: expect.stringMatching(/the worker thread of the embedded database at memory:\/\/ stopped/),
      });
    } finally {
      captured.stop();
      await client.close();
    }
  });

  it('rejects waitReady with the reason when the database cannot be opened, and close() still ends the worker', async () => {
    const client = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir: new Blob(['not a tarball']) });

    await expect(client.waitReady).rejects.toThrow(/PGlite failed to initialize/);
    await expect(client.query('select 1', [])).rejects.toThrow(/PGlite failed to initialize/);
    await client.close();
  });

  it('does not keep the process alive once idle, as PGlite in the main thread does not', async () => {
    const clientModule = new URL('./client.ts', import.meta.url).href;
    const script = `
      const { readFileSync } = await import('node:fs');
      const { PGliteWorkerClient } = await import(${JSON.stringify(clientModule)});
      const loadDataDir = new Blob([readFileSync(${JSON.stringify(inject('pgliteTemplate'))})]);
      const client = new PGliteWorkerClient({ dataDir: 'memory://', loadDataDir });
      const { rows } = await client.query('select 41 + 1 as answer', []);
      console.log(rows[0].answer);`;
    const { stdout } = await runFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });

    expect(stdout.trim()).toBe('42');
  }, 75_000);
});
