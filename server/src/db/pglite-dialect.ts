import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { SearchPathIntrospector } from './search-path-introspector.js';

/**
 * What Kysely needs of an embedded PGlite: one statement per call, its rows (as PGlite parsed them) and how many rows
 * it changed. PGlite in this thread offers it, and so does the client of one in a worker thread.
 */
export interface PGliteQueryable {
  /** Statements run in the order query() is called: one handed over before another's answer runs before it. */
  query<Row>(sql: string, params: unknown[]): Promise<{ rows: Row[]; affectedRows?: number | undefined }>;
  close(): Promise<void>;
}

/**
 * Kysely's dialect for an embedded PGlite, in this thread or in a worker: the driver of kysely-pglite-dialect (whose
 * constructor takes a PGlite instance only). PGlite is one session, so the driver lends it to one caller at a time (a
 * transaction keeps it to itself); the others wait their turn.
 */
export class PGliteDialect implements Dialect {
  private readonly driver: PGliteDriver;

  constructor(pglite: PGliteQueryable) {
    this.driver = new PGliteDriver(pglite);
  }

  /**
   * Runs a statement that needs the session for itself no longer than it takes to hand it over: it waits for a
   * transaction (or any caller that holds the connection) to end, like any statement, but the next caller need not
   * wait for its answer. Statements handed over so run one after another without a round trip between them.
   */
  executeHandedOver(compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    return this.driver.executeHandedOver(compiledQuery);
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return this.driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private lent = false;
  private readonly waiting: ((connection: PGliteConnection) => void)[] = [];

  constructor(private readonly pglite: PGliteQueryable) {
    this.connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.lent) {
      this.lent = true;
      return this.connection;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async executeHandedOver(compiledQuery: CompiledQuery): Promise<QueryResult<unknown>> {
    const connection = await this.acquireConnection();
    // The statement takes its place in PGlite's order when executeQuery is called (see PGliteQueryable.query).
    const result = connection.executeQuery(compiledQuery);
    await this.releaseConnection();
    return result;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next(this.connection);
    else this.lent = false;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    const accessMode = settings.accessMode ? ` ${settings.accessMode}` : '';
    await connection.executeQuery(CompiledQuery.raw(`start transaction${isolation}${accessMode}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.pglite.close();
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGliteQueryable) {}

  async executeQuery<Row>(compiledQuery: CompiledQuery): Promise<QueryResult<Row>> {
    const { rows, affectedRows } = await this.pglite.query<Row>(compiledQuery.sql, [...compiledQuery.parameters]);
    // PGlite counts 0 for a select too; Kysely reads a missing count as 0 for writes.
    return affectedRows ? { rows, numAffectedRows: BigInt(affectedRows) } : { rows };
  }

  /** PGlite has no cursors: the whole result is read, then handed out a chunk at a time. */
  async *streamQuery<Row>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<Row>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
    const { rows } = await this.pglite.query<Row>(compiledQuery.sql, [...compiledQuery.parameters]);
    for (let start = 0; start < rows.length; start += chunkSize) yield { rows: rows.slice(start, start + chunkSize) };
  }
}
