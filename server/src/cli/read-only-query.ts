import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { lockDataDir } from '../db/data-dir-lock.js';
import type { DatabaseTarget } from '../db/dialect.js';
import { explainOpenFailure } from '../db/open-problem.js';
import { log } from '../log.js';

const sqlLog = log.withTag('db:sql');

const APPLICATION_NAME = 'chainlog db:sql';

/** Rows read from the database at a time: what db:sql holds in memory, whatever the statement returns. */
export const ROWS_PER_BATCH = 1_000;

/**
 * How values are read. `text`: every value as PostgreSQL writes it, as psql shows it (`1 day`, `\x00ff`, `{1,2}`,
 * `t`, times to the microsecond). `json`: the types JSON has kept as such (booleans, int2/int4 and float numbers,
 * json and jsonb, strings, and arrays of them), every other value as its text: int8 and numeric would lose digits as
 * JSON numbers, and an interval or a bytea has no JSON form (pg would give `{"days":1}` and a Buffer's bytes).
 */
export type ValueForm = 'text' | 'json';

// bool, int2, int4, float4, float8, json, jsonb and their arrays; and arrays of text, varchar, bpchar and uuid (their
// elements are strings as they are). Not name[] or "char"[]: pg has no parser for them (PGlite has), so they would be
// arrays on one database and text on the other.
const JSON_TYPE_OIDS = new Set([
  16, 21, 23, 700, 701, 114, 3802, 1000, 1005, 1007, 1021, 1022, 199, 3807, 1009, 1015, 1014, 2951,
]);
const asText = (value: string): string => value;
const keepsParser = (form: ValueForm, oid: number): boolean => form === 'json' && JSON_TYPE_OIDS.has(oid);

/** A result column: its name (names may repeat, as in psql) and its type's OID. */
export interface Column {
  name: string;
  typeId: number;
}

/** Some rows of the statement's result, each an array in the order of `columns`. */
export interface RowBatch {
  columns: Column[];
  rows: unknown[][];
}

/**
 * The rows of one SQL statement, `ROWS_PER_BATCH` at a time (at least one batch, so the columns of an empty result
 * are known), run in a read-only transaction that is rolled back. Exactly one statement: on PostgreSQL a string of
 * several ("commit; delete …") would run the second after the read-only transaction ended, so it is sent through the
 * extended protocol, which takes one statement only (a cursor's portal on PostgreSQL; PGlite's query() sends every
 * statement so). The database is not migrated: this reads what is there.
 */
export function readOnlyRows(
  target: DatabaseTarget,
  statement: string,
  form: ValueForm = 'text',
): AsyncGenerator<RowBatch> {
  return target.kind === 'postgres'
    ? readOnPostgres(target, statement, form)
    : readOnPglite(target.dataDir, statement, form);
}

async function* readOnPglite(dataDir: string, statement: string, form: ValueForm): AsyncGenerator<RowBatch> {
  const inMemory = dataDir.startsWith('memory://');
  // The server's lock: PGlite's files take one process at a time.
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  try {
    const pglite = await PGlite.create(dataDir).catch((error: unknown) => {
      throw explainOpenFailure(error, { kind: 'pglite', dataDir });
    });
    try {
      yield* pgliteRows(pglite, statement, form);
    } finally {
      await pglite.close();
    }
  } finally {
    release();
  }
}

const CURSOR = 'chainlog_db_sql';
const DECLARE = `declare ${CURSOR} no scroll cursor for `;

/** readOnlyRows on an open PGlite, which it leaves open (exported for tests: opening one costs a second or more). */
export async function* pgliteRows(
  pglite: PGlite,
  statement: string,
  form: ValueForm = 'text',
): AsyncGenerator<RowBatch> {
  // Every type PGlite has a parser for (its built-in types and, read at start, their arrays); a type it has none for
  // is read as text already.
  const parsers = Object.fromEntries(
    Object.entries(pglite.parsers).map(([oid, parser]) => [oid, keepsParser(form, Number(oid)) ? parser : asText]),
  );
  const read = async (text: string): Promise<RowBatch> => {
    const result = await pglite.query<unknown[]>(text, [], { rowMode: 'array', parsers });
    return {
      columns: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
      rows: result.rows,
    };
  };
  // PGlite's one connection is the superuser's: the read-only transaction is what keeps a typo from changing the data,
  // and only queries, explain and show are run.
  await pglite.query('begin transaction read only');
  try {
    // Planned to read every row, as the statement outside a cursor is (a cursor's plan favours its first tenth).
    await pglite.query('set local cursor_tuple_fraction = 1');
    // A cursor reads a query (select, values, table, with) a batch at a time. Explain and show, which it refuses with
    // a syntax error, are read whole; anything else it refuses is refused (a superuser's `copy … to` a file is read-only
    // for PostgreSQL, but would write into PGlite's files).
    await pglite.query('savepoint declared');
    const declared = await pglite.query(DECLARE + statement).then(
      () => true,
      async (error: unknown) => {
        if ((error as { code?: unknown }).code !== '42601') throw fromStatement(error);
        const word = firstWord(statement);
        // A query's own syntax error (one may start with a parenthesis), said with its place.
        if (DECLARABLE.has(word) || word === '') throw fromStatement(error);
        if (!READ_WHOLE.has(word)) {
          throw new Error(
            `on the embedded PGlite db:sql runs a query (${[...DECLARABLE].join(', ')}), explain or show, not ${word}`,
          );
        }
        await pglite.query('rollback to savepoint declared');
        return false;
      },
    );
    if (!declared) {
      yield await read(statement);
      return;
    }
    for (;;) {
      const batch = await read(`fetch forward ${ROWS_PER_BATCH} from ${CURSOR}`).catch((error: unknown) => {
        throw fromStatement(error);
      });
      yield batch;
      if (batch.rows.length < ROWS_PER_BATCH) return;
    }
  } finally {
    // Whatever state the transaction was left in: an error, or a reader that stopped early.
    await pglite.query('rollback');
  }
}

/** Statements that return rows and that no cursor takes. */
const READ_WHOLE = new Set(['explain', 'show']);
/** The first words of the statements a cursor takes. */
const DECLARABLE = new Set(['select', 'with', 'values', 'table']);

/** The statement's first word, lower-cased, after any comments. */
function firstWord(statement: string): string {
  const start = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.exec(statement)?.[0].length ?? 0;
  return /^[a-z]*/i.exec(statement.slice(start))?.[0].toLowerCase() ?? '';
}

/** An error of the declared cursor, its position (in characters, from 1) in the statement as written. */
function fromStatement(error: unknown): unknown {
  const position = (error as { position?: unknown }).position;
  if (typeof position === 'string' && Number(position) > DECLARE.length)
    Object.assign(error as object, { position: String(Number(position) - DECLARE.length) });
  return error;
}

async function* readOnPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  statement: string,
  form: ValueForm,
): AsyncGenerator<RowBatch> {
  const client = new pg.Client({ connectionString: target.url, application_name: APPLICATION_NAME });
  // A connection lost mid-read fails the cursor's read too, which reports it; pg also emits it on the client, and
  // unheard that event would end the process before the report. Logged at debug level for that reason alone.
  client.on('error', (error) => sqlLog.debug(`the connection failed: ${error.message}`));
  await client.connect().catch((error: unknown) => {
    throw explainOpenFailure(error, target);
  });
  try {
    await client.query('begin transaction read only');
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        keepsParser(form, oid) ? pg.types.getTypeParser(oid, format) : asText,
    };
    const cursor = client.query(new Cursor<unknown[]>(statement, [], { rowMode: 'array', types }));
    let columns: Column[] = [];
    for (;;) {
      const batch = await new Promise<{ rows: unknown[][]; fields?: pg.FieldDef[] }>((resolve, reject) =>
        cursor.read(ROWS_PER_BATCH, (error, rows, result) =>
          error ? reject(error) : resolve({ rows, fields: result?.fields }),
        ),
      );
      if (batch.fields) columns = batch.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID }));
      yield { columns, rows: batch.rows };
      if (batch.rows.length < ROWS_PER_BATCH) break;
    }
    await client.query('rollback');
  } finally {
    // Ends the session, and with it a transaction an error or an early stop left open (PostgreSQL rolls it back).
    await client.end();
  }
}
