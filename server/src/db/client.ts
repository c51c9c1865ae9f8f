import { CompiledQuery, Kysely, sql } from 'kysely';
import { log } from '../log.js';
import type { Database } from './database.js';
import { type DatabaseKind, type DatabaseTarget, connectionConfig, createDialect } from './dialect.js';
import type { ExecuteLogStatement } from './inference-log-writer.js';
import { ANSWER_TIMEOUT_MS, DatabaseStatus, retryWhileUnreachable } from './database-status.js';
import { migrateToLatest } from './migrate.js';
import { pingServer } from './ping.js';
import { type NotificationHandlers, NotificationListener } from './notification-listener.js';

const dbLog = log.withTag('db');

export type Db = Kysely<Database>;

/**
 * Two connections for log rows: while their statements run, the rows that come meanwhile gather for the next one,
 * so batches grow with the load, and one slow statement does not hold up every call. Measured side by side (32
 * concurrent calls, provider answering after 20 ms, throughput over the raw SDK's): eight connections 0.79, four
 * 0.84, two 0.88, one 0.86.
 */
const LOG_CONNECTIONS = 2;
/**
 * PGlite runs one statement at a time, but two log statements handed over together run back to back, without the
 * round trip to this thread (and, in the worker, the thread hop) between them.
 */
const PGLITE_LOG_STATEMENTS_IN_FLIGHT = 2;

export interface DatabaseHandle {
  db: Db;
  /**
   * Runs the inference_log writer's statements. On PostgreSQL: connections of its own, with named statements
   * (parsed and planned once per connection) and, with `logCommit: 'async'`, commits that do not wait for the WAL
   * flush: a row is in the database when ask() returns and survives our process dying, but a crash of the
   * PostgreSQL server may lose the last fraction of a second of rows. On PGlite: `db`. A statement that fails
   * because the database is unreachable waits for it (up to `outageWaitMs`) and runs again.
   */
  executeLogStatement: ExecuteLogStatement;
  /**
   * How many log statements may be in flight at once: on PostgreSQL one a log connection; PGlite runs them one at a
   * time, in the order they were handed over.
   */
  logConcurrency: number;
  kind: DatabaseKind;
  /** PostgreSQL: the schema the connections work in (their search_path's first); PGlite: undefined. */
  schema: string | undefined;
  /**
   * PostgreSQL: starts a listener of `channel` on a connection of its own, connected again whenever it is lost,
   * and closed with the database. PGlite (one process): undefined.
   */
  listen: ((channel: string, handlers: NotificationHandlers) => NotificationListener) | undefined;
  /** `select 1` on a connection of its own (PostgreSQL), within `timeoutMs` (NoAnswerError after). */
  ping(timeoutMs: number): Promise<void>;
  /** Whether the database answers; connection failures mark it down until a probe finds it back. */
  status: DatabaseStatus;
  /** How long writers that must not lose a row (log rows, chain events) wait for an unreachable database. */
  outageWaitMs: number;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /** How inference_log writes commit on PostgreSQL (default 'sync'); PGlite has one connection and ignores it. */
  logCommit?: 'sync' | 'async';
  /** How long a log write waits for an unreachable database to come back before it fails (default 60 s). */
  outageWaitMs?: number;
  /** Names the process's connections in pg_stat_activity (default "chainlog"). */
  applicationName?: string;
}

const DEFAULT_OUTAGE_WAIT_MS = 60_000;

/** Opens the one Kysely instance for the process and brings its schema to the latest migration. */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  // PGlite's probe needs the Kysely instance, which needs the dialect, which reports to the status: hence the late
  // binding. PostgreSQL is asked on a connection of its own each time, never on a pooled one that may have gone silent.
  let probeDb: Db | undefined;
  const ping =
    target.kind === 'postgres'
      ? (timeoutMs: number) =>
          pingServer(
            connectionConfig(target, { applicationName: `${options.applicationName ?? 'chainlog'} probe` }),
            timeoutMs,
          )
      : async () => {
          if (probeDb) await sql`select 1`.execute(probeDb);
        };
  const status = new DatabaseStatus(() => ping(ANSWER_TIMEOUT_MS));
  const dialectOptions = {
    onConnectionError: (error: Error) => status.reportFailure(error),
    applicationName: options.applicationName,
  };
  const { dialect, executeHandedOver, ready, release } = createDialect(target, dialectOptions);
  const db = new Kysely<Database>({ dialect });
  probeDb = db;
  let schema: string | undefined;
  try {
    await ready;
    schema = target.kind === 'postgres' ? await currentSchema(db) : undefined;
    if (options.migrate ?? true) await migrateToLatest(db, schema);
  } catch (error) {
    await db.destroy();
    release();
    throw error;
  }
  dbLog.info(
    `database ready: ${target.kind === 'pglite' ? `embedded PGlite at ${target.dataDir}` : 'PostgreSQL server'}`,
  );
  const logPool =
    target.kind === 'postgres'
      ? createDialect(
          { ...target, poolSize: LOG_CONNECTIONS, synchronousCommit: (options.logCommit ?? 'sync') === 'sync' },
          dialectOptions,
        ).pool
      : undefined;
  const execute: ExecuteLogStatement = logPool
    ? async (statement) => {
        await logPool.query(
          statement.name
            ? { name: statement.name, text: statement.text, values: statement.values }
            : { text: statement.text, values: statement.values },
        );
      }
    : async (statement) => {
        const compiled = CompiledQuery.raw(statement.text, statement.values);
        await (executeHandedOver ? executeHandedOver(compiled) : db.executeQuery(compiled));
      };
  const outageWaitMs = options.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS;
  // Log statements are upserts keyed by the row's id: one that was cut off mid-flight can safely run again.
  const executeLogStatement: ExecuteLogStatement = (statement) =>
    retryWhileUnreachable(status, outageWaitMs, () => execute(statement));
  const listeners = new Set<NotificationListener>();
  const listen =
    target.kind === 'postgres'
      ? (channel: string, handlers: NotificationHandlers) => {
          // The name tells this connection apart in pg_stat_activity (PostgreSQL keeps the first 63 bytes).
          const config = connectionConfig(target, {
            applicationName: `${options.applicationName ?? 'chainlog'} listener`,
          });
          const listener = new NotificationListener(config, channel, handlers);
          listeners.add(listener);
          void listener.start();
          return listener;
        }
      : undefined;
  return {
    db,
    schema,
    ping,
    listen,
    executeLogStatement,
    logConcurrency: target.kind === 'pglite' ? PGLITE_LOG_STATEMENTS_IN_FLIGHT : LOG_CONNECTIONS,
    kind: target.kind,
    status,
    outageWaitMs,
    async close() {
      await Promise.all([...listeners].map((listener) => listener.close()));
      status.close();
      await logPool?.end();
      await db.destroy();
      release();
    },
  };
}

/** Kysely looks for its bookkeeping tables in every schema unless told which one: name ours. */
async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the PostgreSQL search_path names no existing schema');
  return schema;
}
