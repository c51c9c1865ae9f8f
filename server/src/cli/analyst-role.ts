import { parseArgs } from 'node:util';
import { AnalystRoleError, grantAnalystRole } from '../db/analyst-role.js';
import type { DatabaseTarget } from '../db/dialect.js';
import { DatabaseOpenError, openConfiguredDatabase } from '../db/open-problem.js';
import { EnvError, loadDotEnvFile, parseEnv } from '../env.js';
import { redirectLogStdout, setLogLevel } from '../log.js';

const USAGE = 'usage: npm run db:analyst-role -- <role name>   (with DATABASE_URL pointing at PostgreSQL)';

const PGLITE_REFUSAL = `db:analyst-role needs PostgreSQL (DATABASE_URL); Chainlog is using the embedded PGlite.
PGlite has no server to log in to: its one connection, inside the process that opened the data directory, is always the
superuser "postgres", and whoever can open that directory can change anything in it. A read-only role there would
protect nothing. Point DATABASE_URL at a PostgreSQL server, or give analysts a copy of the data directory (made with
the server stopped) to query with CHAINLOG_DATA_DIR=<copy> npm run db:sql -- '<SQL>' (read-only).`;

/** Creates a read-only PostgreSQL role for analysts in the configured database (see grantAnalystRole). */
async function main(): Promise<number> {
  redirectLogStdout(process.stderr);
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [role] = positionals;
  if (values.help || !role || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  loadDotEnvFile();
  const env = parseEnv();
  if (!env.DATABASE_URL) {
    process.stderr.write(`${PGLITE_REFUSAL}\n`);
    return 2;
  }
  setLogLevel('warn');
  const target: DatabaseTarget = { kind: 'postgres', url: env.DATABASE_URL, poolSize: 1 };
  const database = await openConfiguredDatabase(target, { applicationName: 'chainlog db:analyst-role' });
  try {
    const granted = await grantAnalystRole(database.db, role);
    process.stdout.write(
      `${granted.created ? 'created' : 'updated'} role "${granted.role}": it can read the ${granted.relations} tables and views of schema ` +
        `"${granted.schema}" in database "${granted.database}" (and those migrations add later), and change nothing.\n` +
        `It has no password yet: set one with psql's \\password ${granted.role}, then connect as ` +
        `postgres://${granted.role}@<host>/${granted.database}. Queries to start from: docs/sql-cookbook.md\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof AnalystRoleError || error instanceof EnvError || error instanceof DatabaseOpenError;
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(known ? 2 : 1);
  },
);
