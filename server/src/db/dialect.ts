import { PGlite } from '@electric-sql/pglite';
import { type CompiledQuery, type DatabaseIntrospector, type Dialect, type Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { log } from '../log.js';
import { lockDataDir } from './data-dir-lock.js';
import { makeDirectory } from './make-directory.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PreparedPGlite } from './pglite-prepared.js';
import { PGliteWorkerClient } from './pglite-worker/client.js';
import type { WorkerEntry } from './pglite-worker/worker-entry-location.js';
import { SearchPathIntrospector } from './search-path-introspector.js';

const dialectLog = log.withTag('db');

export type DatabaseKind = 'pglite' | 'postgres';

/**
 * Where PGlite's WASM Postgres runs: a worker thread of its own, so its CPU work stays off the event loop of the
 * calls that write to it, or this thread (as before it had a worker).
 */
export type PGliteThread = 'worker' | 'main';
export const DEFAULT_PGLITE_THREAD: PGliteThread = 'worker';

/** Where the data lives: a PostgreSQL server, or an embedded PGlite directory (`memory://` for a throwaway one). */
export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      searchPath?: string | undefined;
      poolSize?: number | undefined;
      /** `false` commits without waiting for the WAL flush (PostgreSQL's synchronous_commit = off). */
      synchronousCommit?: boolean | undefined;
    }
  | {
      kind: 'pglite';
      dataDir: string;
      /** A data directory to start from (a tarball from PGlite's dumpDataDir) instead of an empty cluster. */
      loadDataDir?: Blob | undefined;
      /** Default DEFAULT_PGLITE_THREAD. */
      thread?: PGliteThread | undefined;
      /** The code of the worker thread; default worker-entry.ts (see pglite-worker/worker-entry-location.ts). */
      workerEntry?: WorkerEntry | undefined;
    };

export interface DialectOptions {
  /** Called when a pooled connection fails (the server restarted, a proxy cut it); the pool replaces it. */
  onConnectionError?: ((error: Error) => void) | undefined;
  /** PostgreSQL's application_name: shows in pg_stat_activity which process a connection belongs to. */
  applicationName?: string | undefined;
}

/** How long pg may take to open a connection before the statement fails (instead of waiting forever). */
const CONNECT_TIMEOUT_MS = 5_000;

export interface OpenDialect {
  dialect: Dialect;
  /** The pg pool behind the dialect, for the few statements that want pg's named (prepared) statements. */
  pool?: pg.Pool;
  /**
   * PGlite: runs a statement without holding the one session until it answers, so the next one is handed over
   * meanwhile (see PGliteDialect.executeHandedOver). Undefined on PostgreSQL.
   */
  executeHandedOver?: ((compiledQuery: CompiledQuery) => Promise<unknown>) | undefined;
  /** Resolves once the database accepts queries (PGlite starts its WASM Postgres lazily). */
  ready: Promise<void>;
  /** Frees what the dialect holds outside the database (the PGlite data-directory lock). */
  release(): void;
}

/** Builds the Kysely dialect for a target; shared by the server and the root kysely.config.ts. */
export function createDialect(target: DatabaseTarget, options: DialectOptions = {}): OpenDialect {
  if (target.kind === 'pglite') {
    // PGlite creates only the last folder of its path.
    const inMemory = target.dataDir.startsWith('memory://');
    if (!inMemory) makeDirectory(target.dataDir);
    const release = inMemory ? () => {} : lockDataDir(target.dataDir);
    const options = target.loadDataDir ? { loadDataDir: target.loadDataDir } : {};
    const pglite =
      (target.thread ?? DEFAULT_PGLITE_THREAD) === 'worker'
        ? new PGliteWorkerClient({ dataDir: target.dataDir, ...options, entry: target.workerEntry })
        : new PreparedPGlite(new PGlite(target.dataDir, options));
    const dialect = new PGliteDialect(pglite);
    return {
      dialect,
      executeHandedOver: (compiledQuery) => dialect.executeHandedOver(compiledQuery),
      ready: pglite.waitReady,
      release,
    };
  }
  const jitFromUrl = /\bjit\s*=/.test(new URL(target.url).searchParams.get('options') ?? '');
  const pool = new pg.Pool({
    ...connectionConfig(target, options),
    max: target.poolSize ?? 20,
    // JIT off, unless the URL's options set it: compiling a statement cost 1.2 s (the Stats page's, on an empty log)
    // where running it took 0.6 ms, and the app's statements are all short. A statement rather than a startup
    // option, which poolers such as PgBouncer refuse. pg-pool awaits this before it hands the connection out, so no
    // statement is sent while it runs (pg 9 will refuse that), and a connection where it fails is not handed out:
    // the checkout fails with the reason.
    onConnect: async (client) => {
      if (!jitFromUrl) await client.query('set jit = off');
    },
  });
  const onConnectionError =
    options.onConnectionError ?? ((error: Error) => dialectLog.warn(`a database connection failed: ${error.message}`));
  // pg emits a failure on the pool while a connection is idle, but on the client itself while it is checked out
  // (Kysely holds one for each statement or transaction): unheard, either ends the process. pg has already failed
  // the client's queries and drops it on release.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  // The cursor lets Kysely's .stream() read a large result a chunk at a time (exports).
  return {
    dialect: new SearchPathPostgresDialect({ pool, cursor: ClosableCursor }),
    pool,
    ready: Promise.resolve(),
    release: () => {},
  };
}

/** PostgreSQL with kysely's introspection kept to the search path (see SearchPathIntrospector). */
class SearchPathPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}

/**
 * pg-cursor's close() waits for a ReadyForQuery that a connection cut under the cursor never sends, so Kysely's
 * stream, which closes its cursor on the way out, would hang on its error instead of passing it on (and keep the
 * pooled connection). A cursor that failed has nothing left to close (Kysely
 * awaits close() without a callback).
 */
class ClosableCursor<Row> extends Cursor<Row> {
  private failed = false;

  constructor(text: string, values?: unknown[]) {
    super(text, values);
    this.on('error', () => {
      this.failed = true;
    });
  }

  override close(): Promise<void>;
  override close(callback: (error: Error) => void): undefined;
  override close(callback?: (error: Error) => void): Promise<void> | undefined {
    if (callback) return super.close(callback);
    return this.failed ? Promise.resolve() : super.close();
  }
}

/**
 * How pg connects to a PostgreSQL target: the pool's connections and the notification listener's own connection
 * use the same settings.
 */
export function connectionConfig(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  options: Pick<DialectOptions, 'applicationName'> = {},
): pg.ClientConfig {
  const settings = [
    ...(target.searchPath ? [`-c search_path=${target.searchPath}`] : []),
    ...(target.synchronousCommit === false ? ['-c synchronous_commit=off'] : []),
  ];
  // pg lets an `options` parameter in the URL replace the `options` setting, so the two are merged here.
  const url = new URL(target.url);
  const urlOptions = url.searchParams.get('options');
  url.searchParams.delete('options');
  const settingsOption = [...(urlOptions ? [urlOptions] : []), ...settings].join(' ');
  return {
    connectionString: url.toString(),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // TCP keepalive finds a connection whose server vanished without closing it (a host that went down).
    keepAlive: true,
    application_name: options.applicationName ?? 'chainlog',
    ...(settingsOption ? { options: settingsOption } : {}),
  };
}

/** DATABASE_URL wins; otherwise PGlite under the data directory. */
export function targetFromSettings(settings: {
  databaseUrl?: string | undefined;
  dataDir: string;
  pgliteThread?: PGliteThread | undefined;
}): DatabaseTarget {
  if (settings.databaseUrl) return { kind: 'postgres', url: settings.databaseUrl };
  return {
    kind: 'pglite',
    dataDir: settings.dataDir === 'memory://' ? 'memory://' : `${settings.dataDir}/pgdata`,
    thread: settings.pgliteThread,
  };
}

/** The database the validated env names: what the server, the CLI and the seed open. */
export function targetFromEnv(env: {
  DATABASE_URL?: string | undefined;
  CHAINLOG_DATA_DIR: string;
  CHAINLOG_PGLITE_THREAD?: PGliteThread | undefined;
}): DatabaseTarget {
  return targetFromSettings({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.CHAINLOG_DATA_DIR,
    pgliteThread: env.CHAINLOG_PGLITE_THREAD,
  });
}
