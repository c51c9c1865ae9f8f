import { text as readAll } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../db/client.js';
import { targetFromSettings } from '../db/dialect.js';
import { EnvError, loadDotEnvFile, parseEnv } from '../env.js';
import { redirectLogStdout, setLogLevel } from '../log.js';
import { formatRows, type SqlOutputFormat } from './sql-output.js';

const USAGE = `usage: npm run db:sql -- '<one SQL statement>' [--format table|csv|json]
       npm run db:sql -- - [--format …] < query.sql
Runs it read-only on DATABASE_URL, or on the embedded PGlite (stop the server first: PGlite is one process).`;

class UsageError extends Error {}

/**
 * One SQL statement on the configured database, in a read-only transaction, its rows printed: the cookbook's queries
 * on the embedded PGlite, which has no psql to run them in.
 */
async function main(): Promise<number> {
  redirectLogStdout(process.stderr);
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { format: { type: 'string', default: 'table' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [source] = positionals;
  const format = values.format;
  if (positionals.length !== 1 || source === undefined) throw new UsageError(USAGE);
  if (format !== 'table' && format !== 'csv' && format !== 'json')
    throw new UsageError(`--format is table, csv or json\n${USAGE}`);
  const statement = (source === '-' ? await readAll(process.stdin) : source).trim();
  if (statement === '') throw new UsageError(`no SQL given\n${USAGE}`);

  loadDotEnvFile();
  const env = parseEnv();
  setLogLevel('warn');
  const target = targetFromSettings({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.CHAINLOG_DATA_DIR,
    pgliteThread: env.CHAINLOG_PGLITE_THREAD,
  });
  const database = await openDatabase(target, { applicationName: 'chainlog db:sql' });
  try {
    const { rows } = await database.db.transaction().execute(async (transaction) => {
      // On PGlite the one connection is the superuser's: this is what keeps a typo from changing the data.
      await sql`set transaction read only`.execute(transaction);
      return sql.raw<Record<string, unknown>>(statement).execute(transaction);
    });
    process.stdout.write(formatRows(rows, format satisfies SqlOutputFormat));
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof EnvError;
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(known ? 2 : 1);
  },
);
