import { protocol } from '@electric-sql/pglite';

/**
 * What the main thread and the PGlite worker thread send each other. Everything here survives structured clone,
 * which keeps only an Error's message and stack: a database error's SQLSTATE and other fields travel as a record.
 */

/** The worker's workerData: which database to open. */
export interface WorkerStart {
  dataDir: string;
  /** A data directory to start from (PGlite's dumpDataDir tarball). */
  loadDataDir: Blob | undefined;
  /** Run repeated statements as named prepared statements (see pglite-prepared.ts). */
  preparedStatements: boolean;
}

export type WorkerRequest =
  | { kind: 'query'; id: number; sql: string; params: unknown[] }
  | { kind: 'close'; id: number };

export type WorkerReply =
  | { kind: 'ready' }
  /** The database could not be opened: every query fails. */
  | { kind: 'start-failed'; error: ErrorRecord }
  | { kind: 'result'; id: number; rows: unknown[]; affectedRows: number | undefined }
  | { kind: 'closed'; id: number }
  | { kind: 'failed'; id: number; error: ErrorRecord };

/** The fields of PGlite's (and pg's) DatabaseError besides its message: what PostgreSQL said about the failure. */
export const DATABASE_ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

export type DatabaseErrorField = (typeof DATABASE_ERROR_FIELDS)[number];

export interface ErrorRecord {
  name: string;
  message: string;
  stack: string | undefined;
  /** Set when the error is PostgreSQL's: its fields, those it gave. */
  database: Partial<Record<DatabaseErrorField, string>> | undefined;
}

export function isWorkerRequest(value: unknown): value is WorkerRequest {
  if (typeof value !== 'object' || value === null || !('kind' in value) || !('id' in value)) return false;
  if (typeof value.id !== 'number') return false;
  if (value.kind === 'close') return true;
  return (
    value.kind === 'query' &&
    'sql' in value &&
    typeof value.sql === 'string' &&
    'params' in value &&
    Array.isArray(value.params)
  );
}

export function isWorkerReply(value: unknown): value is WorkerReply {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return false;
  switch (value.kind) {
    case 'ready':
      return true;
    case 'start-failed':
      return 'error' in value && isErrorRecord(value.error);
    case 'result':
      return hasId(value) && 'rows' in value && Array.isArray(value.rows);
    case 'closed':
      return hasId(value);
    case 'failed':
      return hasId(value) && 'error' in value && isErrorRecord(value.error);
    default:
      return false;
  }
}

function hasId(value: object): boolean {
  return 'id' in value && typeof value.id === 'number';
}

function isErrorRecord(value: unknown): value is ErrorRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    'message' in value &&
    typeof value.message === 'string' &&
    'name' in value &&
    typeof value.name === 'string'
  );
}

/** What an error thrown in the worker says, field by field (the worker's side of the trip). */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (!(error instanceof Error))
    return { name: 'Error', message: String(error), stack: undefined, database: undefined };
  const record = { name: error.name, message: error.message, stack: error.stack };
  if (!(error instanceof protocol.messages.DatabaseError)) return { ...record, database: undefined };
  const database: Partial<Record<DatabaseErrorField, string>> = {};
  for (const field of DATABASE_ERROR_FIELDS) {
    const value = error[field];
    if (value !== undefined) database[field] = value;
  }
  return { ...record, database };
}

/**
 * The error again, on the main thread: PostgreSQL's as PGlite's own DatabaseError with every field it came with (so
 * `error.code` reads 23505 or 40P01 as in-process), anything else as an Error of the same name and message. The
 * stack is the worker's, where the error was thrown.
 */
export function fromErrorRecord(record: ErrorRecord): Error {
  if (record.database) {
    const error = new protocol.messages.DatabaseError(record.message, 0, 'error');
    Object.assign(error, record.database);
    if (record.stack !== undefined) error.stack = record.stack;
    return error;
  }
  const error = new Error(record.message);
  error.name = record.name;
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}
