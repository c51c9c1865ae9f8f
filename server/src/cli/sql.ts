import { text as readAll } from 'node:stream/consumers';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { targetFromEnv } from '../db/dialect.js';
import { DatabaseOpenError } from '../db/open-problem.js';
import { EnvError, loadDotEnvFile, parseEnv } from '../env.js';
import { redirectLogStdout, setLogLevel } from '../log.js';
import { readOnlyRows } from './read-only-query.js';
import { pointInto, rowPrinter, type SqlOutputFormat, terminalText } from './sql-output.js';

const USAGE = `usage: npm run db:sql -- '<one SQL statement>' [--format table|csv|json]
       npm run db:sql -- - [--format …] < query.sql
Runs it read-only on DATABASE_URL, or on the embedded PGlite (stop the server first: PGlite is one process).`;

class UsageError extends Error {}

/**
 * One SQL statement on the configured database, read-only (read-only-query.ts), its rows printed: the cookbook's
 * queries on the embedded PGlite, which has no psql to run them in.
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
  // PostgreSQL takes none, and one sent breaks the protocol's message ("insufficient data left in message").
  if (statement.includes('\0'))
    throw new UsageError('the statement holds a NUL character, which PostgreSQL does not take');

  loadDotEnvFile();
  const env = parseEnv();
  setLogLevel('warn');
  const target = targetFromEnv(env);
  // A data directory that is not one (a typo) would otherwise be made, empty, and answer "relation does not exist".
  if (target.kind === 'pglite' && target.dataDir !== 'memory://' && !existsSync(target.dataDir))
    throw new UsageError(`${env.CHAINLOG_DATA_DIR} holds no Chainlog database (no ${target.dataDir})`);
  // A batch of rows at a time, each printed before the next is read: a million rows print in the memory of one.
  const printer = rowPrinter(format satisfies SqlOutputFormat);
  let headed = false;
  try {
    for await (const { columns, rows } of readOnlyRows(target, statement, format === 'json' ? 'json' : 'text')) {
      if (!headed) await print(printer.head(columns));
      headed = true;
      await print(printer.rows(rows));
    }
    await print(printer.end());
  } catch (error) {
    // The reader of stdout went away (`| head`): as psql, stop without a word. Leaving the loop has ended the
    // statement, rolled its transaction back and closed the database.
    if (error instanceof OutputClosedError) return 0;
    const pointer = pointInto(statement, (error as { position?: unknown }).position);
    throw pointer === '' ? error : new Error(`${(error as Error).message}\n${pointer}`, { cause: error });
  }
  return 0;
}

class OutputClosedError extends Error {}
// EPIPE for the write that found the reader gone; a later one finds the stream already destroyed.
const CLOSED_OUTPUT = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * Writes to stdout and waits until it has gone out: a batch is read only once the last one is written, and nothing
 * is left queued when the process exits.
 */
function print(text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => {
      if (!error) resolve();
      else reject(CLOSED_OUTPUT.has((error as NodeJS.ErrnoException).code ?? '') ? new OutputClosedError() : error);
    });
  });
}

// A failed write is reported to its callback (print above) and emitted as well: heard here, so it does not end the
// process before the database is closed.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (!CLOSED_OUTPUT.has(error.code ?? '')) throw error;
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof EnvError || error instanceof DatabaseOpenError;
    // A message can quote a value from the rows (an LLM's output cast to int): its control characters are escaped.
    process.stderr.write(`${terminalText(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(known ? 2 : 1);
  },
);
