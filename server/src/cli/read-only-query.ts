import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../db/client.js';
import type { DatabaseTarget } from '../db/dialect.js';
import { explainOpenFailure } from '../db/open-problem.js';

const APPLICATION_NAME = 'chainlog db:sql';

/**
 * The rows of one SQL statement, run in a read-only transaction that is rolled back. Exactly one statement: on
 * PostgreSQL a string of several ("commit; delete …") would run the second after the read-only transaction ended,
 * so the statement is sent as a prepared one (the extended protocol takes one statement only), as PGlite's query()
 * sends every statement. The database is not migrated: this reads what is there.
 */
export async function readOnlyRows(target: DatabaseTarget, statement: string): Promise<Record<string, unknown>[]> {
  if (target.kind === 'postgres') return readOnPostgres(target, statement);
  const database = await openDatabase(target, { applicationName: APPLICATION_NAME, migrate: false }).catch(
    (error: unknown) => {
      throw explainOpenFailure(error, target);
    },
  );
  try {
    return await database.db.transaction().execute(async (transaction) => {
      // PGlite's one connection is the superuser's: this is what keeps a typo from changing the data.
      await sql`set transaction read only`.execute(transaction);
      return (await sql.raw<Record<string, unknown>>(statement).execute(transaction)).rows;
    });
  } finally {
    await database.close();
  }
}

async function readOnPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  statement: string,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: target.url, application_name: APPLICATION_NAME });
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
