import { type DatabaseHandle, type OpenDatabaseOptions, openDatabase } from './client.js';
import type { DatabaseTarget } from './dialect.js';

/** The errno codes of a failed socket or file operation: a dual-stack connect fails with an AggregateError of them. */
function errnoCodes(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const own = typeof (error as NodeJS.ErrnoException).code === 'string' ? [(error as NodeJS.ErrnoException).code] : [];
  const inner = error instanceof AggregateError ? error.errors.flatMap(errnoCodes) : [];
  const cause = error.cause === undefined ? [] : errnoCodes(error.cause);
  return [...own, ...inner, ...cause].filter((code): code is string => code !== undefined);
}

/** Where a DATABASE_URL points, without its password. */
function describeUrl(url: string): {
  where: string;
  hostname: string;
  port: string;
  database: string;
  /** Undefined when the URL names none (pg then uses the system user's name). */
  user: string | undefined;
} {
  const parsed = new URL(url);
  const hostname = decodeURIComponent(parsed.hostname) || 'localhost';
  const port = parsed.port || '5432';
  return {
    where: `${hostname}:${port}`,
    hostname,
    port,
    database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres',
    user: decodeURIComponent(parsed.username) || undefined,
  };
}

function postgresProblem(error: unknown, url: string): string | undefined {
  const { where, hostname, port, database, user } = describeUrl(url);
  const codes = errnoCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  if (codes.includes('ECONNREFUSED'))
    return `DATABASE_URL: nothing accepts connections at ${where}: is PostgreSQL running there?`;
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN'))
    return `DATABASE_URL: the host ${hostname} does not resolve`;
  for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])
    if (codes.includes(code)) return `DATABASE_URL: ${where} cannot be reached (${code})`;
  if (/connection timeout|timeout exceeded when trying to connect/.test(message))
    return `DATABASE_URL: ${where} did not answer in time`;
  // SQLSTATE: 3D000 invalid_catalog_name; class 28, invalid authorization (no such role, bad password, pg_hba).
  const sqlState = (error as { code?: unknown }).code;
  if (sqlState === '3D000')
    return `DATABASE_URL: PostgreSQL at ${where} has no database "${database}" (create it: createdb -h ${hostname} -p ${port}${user ? ` -U ${user}` : ''} ${database})`;
  if (typeof sqlState === 'string' && sqlState.startsWith('28'))
    return `DATABASE_URL: PostgreSQL at ${where} refused ${user ? `user "${user}"` : 'the default user'}: ${message}`;
  if (/SSL/.test(message)) return `DATABASE_URL: ${where}: ${message}`;
  return undefined;
}

function dataDirProblem(error: unknown, dataDir: string): string | undefined {
  const codes = errnoCodes(error);
  const path = (error as NodeJS.ErrnoException).path ?? dataDir;
  if (codes.includes('ENOTDIR') || codes.includes('EEXIST'))
    return `CHAINLOG_DATA_DIR: ${path} cannot be made, a file is in its way`;
  if (codes.includes('EACCES') || codes.includes('EPERM'))
    return `CHAINLOG_DATA_DIR: ${path} cannot be written by this user`;
  if (codes.includes('EROFS')) return `CHAINLOG_DATA_DIR: ${path} is on a read-only file system`;
  if (codes.includes('ENOSPC')) return `CHAINLOG_DATA_DIR: the disk holding ${path} is full`;
  // Its parent exists (makeDirectory made or found it): a file system that takes no folders of ours, such as /proc.
  if (codes.includes('ENOENT') && (error as NodeJS.ErrnoException).syscall === 'mkdir')
    return `CHAINLOG_DATA_DIR: ${path} cannot be made, its file system takes no new folders`;
  return undefined;
}

/** Opening the database failed for a reason of its setting; the message names the variable and says it in one line. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/**
 * `error` as a DatabaseOpenError when opening `target` failed for a reason of the setting (nothing listening, no
 * such database or role, a host that does not resolve, a data directory that cannot be made); anything else as it
 * came, its stack worth printing.
 */
export function explainOpenFailure(error: unknown, target: DatabaseTarget): unknown {
  const problem =
    target.kind === 'postgres' ? postgresProblem(error, target.url) : dataDirProblem(error, target.dataDir);
  return problem === undefined ? error : new DatabaseOpenError(problem, { cause: error });
}

/** openDatabase for the target the environment names: a failure of that setting rejects as a DatabaseOpenError. */
export function openConfiguredDatabase(target: DatabaseTarget, options?: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return openDatabase(target, options).catch((error: unknown) => {
    throw explainOpenFailure(error, target);
  });
}
