import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { lockDataDir } from '../db/data-dir-lock.js';
import type { DatabaseTarget } from '../db/dialect.js';
import { explainOpenFailure } from '../db/open-problem.js';

const APPLICATION_NAME = 'chainlog db:sql';

// date, time, timestamp, timestamptz, timetz and their arrays: read as the text PostgreSQL writes (psql's, to the
// microsecond), not as a JavaScript Date, which keeps milliseconds only.
const TIME_TYPE_OIDS = new Set([1082, 1083, 1114, 1184, 1266, 1182, 1183, 1115, 1185, 1270]);
const asText = (value: string): string => value;

/**
 * The rows of one SQL statement, run in a read-only transaction that is rolled back. Exactly one statement: on
 * PostgreSQL a string of several ("commit; delete …") would run the second after the read-only transaction ended,
 * so the statement is sent as a prepared one (the extended protocol takes one statement only), as PGlite's query()
 * sends every statement. The database is not migrated: this reads what is there.
 */
export function readOnlyRows(target: DatabaseTarget, statement: string): Promise<Record<string, unknown>[]> {
  return target.kind === 'postgres' ? readOnPostgres(target, statement) : readOnPglite(target.dataDir, statement);
}

async function readOnPglite(dataDir: string, statement: string): Promise<Record<string, unknown>[]> {
  const inMemory = dataDir.startsWith('memory://');
  // The server's lock: PGlite's files take one process at a time.
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  try {
    const parsers = Object.fromEntries([...TIME_TYPE_OIDS].map((oid) => [oid, asText]));
    const pglite = await PGlite.create(dataDir, { parsers }).catch((error: unknown) => {
      throw explainOpenFailure(error, { kind: 'pglite', dataDir });
    });
    try {
      return await pglite.transaction(async (transaction) => {
        // PGlite's one connection is the superuser's: this is what keeps a typo from changing the data.
        await transaction.query('set transaction read only');
        return (await transaction.query<Record<string, unknown>>(statement)).rows;
      });
    } finally {
      await pglite.close();
    }
  } finally {
    release();
  }
}

async function readOnPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  statement: string,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({
    connectionString: target.url,
    application_name: APPLICATION_NAME,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        TIME_TYPE_OIDS.has(oid) ? asText : pg.types.getTypeParser(oid, format),
    },
  });
  await client.connect().catch((error: unknown) => {
    throw explainOpenFailure(error, target);
  });
  try {
    await client.query('begin transaction read only');
    // A named query is prepared, so it goes through the extended protocol.
    const result = await client.query<Record<string, unknown>>({ name: 'chainlog_db_sql', text: statement });
    await client.query('rollback');
    return result.rows;
  } finally {
    await client.end();
  }
}
