import { type PGlite, type ParserOptions, messages as backend, parse, protocol, types } from '@electric-sql/pglite';
import type { PGliteQueryable } from './pglite-dialect.js';
import { preparedEffectOf } from './pglite-prepared-effects.js';

type BackendMessage = backend.BackendMessage;
type RowDescriptionMessage = backend.RowDescriptionMessage;
type PreparedResult = { rows: unknown[]; affectedRows: number };

/** Statements kept prepared at once; the least recently used one is closed when a new one needs the room. */
export const DEFAULT_PREPARED_CAPACITY = 256;

// Only these repeat with other values; the rest (DDL, transaction control, maintenance) run once or cost nothing to
// parse, and keep PGlite's own query().
const PREPARABLE = /^\s*(select|insert|update|delete|with|values)\b/i;
// PostgreSQL's plan cache replans a statement whose tables changed, but refuses one whose result columns did
// (plancache.c): "cached plan must not change result type".
const FEATURE_NOT_SUPPORTED = '0A000';
const RESULT_TYPE_CHANGED = 'cached plan must not change result type';
const INVALID_SQL_STATEMENT_NAME = '26000';

interface Prepared {
  name: string;
  /** What PostgreSQL inferred for each $n: the serializer of each parameter. */
  parameterTypes: number[];
  /** The columns of a row, or undefined for a statement that returns none. */
  rowDescription: RowDescriptionMessage | undefined;
}

export interface PreparedQueryOptions {
  /** How many statements stay prepared at once (default DEFAULT_PREPARED_CAPACITY). */
  capacity?: number | undefined;
}

/**
 * PGlite's query() with named prepared statements. PGlite's own query() parses, describes and plans every statement
 * again, in six calls into its WASM Postgres; here a statement that repeats (a select, insert, update or delete) is
 * parsed and described once, by name, and then runs as one Bind/Execute/Sync: the same rows, affected-row counts and
 * errors (DatabaseError with PostgreSQL's fields, plus the query and its parameters as PGlite adds them). Other
 * statements go through PGlite's query(). A statement that may change what a prepared one returns (DDL, the
 * search_path; see preparedEffectOf) forgets every prepared statement, and so does the end of a transaction in which
 * one did. A prepared statement whose result columns changed all the same is
 * prepared again and run again, when that is safe: outside a transaction.
 */
export class PreparedPGlite implements PGliteQueryable {
  /** By SQL text; a Map keeps insertion order, so its first key is the least recently used. */
  private readonly prepared = new Map<string, Prepared>();
  /** Set by close(): statements handed over after it fail. */
  private closeCalled = false;
  /** Whether a statement of the open transaction forgot the prepared statements (see PreparedEffect 'ends'). */
  private forgotInTransaction = false;
  /** Names to close before the next statement is prepared (evicted or forgotten ones). */
  private closing: string[] = [];
  private nextName = 1;
  private readonly capacity: number;
  /** Settles when the statements handed over so far have run. */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    readonly pglite: PGlite,
    options: PreparedQueryOptions = {},
  ) {
    this.capacity = options.capacity ?? DEFAULT_PREPARED_CAPACITY;
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new Error(`the prepared-statement capacity must be a positive integer, not ${this.capacity}`);
  }

  get waitReady(): Promise<void> {
    return this.pglite.waitReady;
  }

  /** How many statements are prepared now (for tests). */
  get preparedCount(): number {
    return this.prepared.size;
  }

  /**
   * Runs one statement. Statements run in the order query() was called (not awaited), one at a time, so a caller may
   * hand over the next statement before the last one answered.
   */
  query<Row>(sql: string, params: unknown[]): Promise<{ rows: Row[]; affectedRows: number | undefined }> {
    // As PGlite's own query() says; the protocol calls would run on the stopped WASM Postgres instead.
    if (this.closeCalled) return Promise.reject(new Error('PGlite is closed'));
    const result = this.turn.then(() => this.run<Row>(sql, params));
    this.turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async run<Row>(sql: string, params: unknown[]): Promise<{ rows: Row[]; affectedRows: number | undefined }> {
    // isInTransaction() reads the WASM Postgres, which must have started.
    await this.pglite.waitReady;
    this.forgetWhatChanges(sql);
    if (!PREPARABLE.test(sql)) {
      const { rows, affectedRows } = await this.pglite.query<Row>(sql, params);
      return { rows, affectedRows };
    }
    // The same two locks as PGlite's query(): no statement of PGlite's own transaction() or of another query runs
    // between this statement's messages.
    return this.pglite._runExclusiveTransaction(() =>
      this.pglite.runExclusive(async () => {
        const results = await this.runPrepared(sql, params, true);
        // Rows are what the caller says they are, as with PGlite's own query<Row>().
        return { rows: results.rows as Row[], affectedRows: results.affectedRows };
      }),
    );
  }

  /** Closes PGlite once the statements handed over before have run. */
  close(): Promise<void> {
    this.closeCalled = true;
    return this.turn.then(() => this.pglite.close());
  }

  private async runPrepared(sql: string, params: unknown[], mayRetry: boolean): Promise<PreparedResult> {
    const statement = this.prepared.get(sql) ?? (await this.prepare(sql, params));
    // Most recently used last.
    this.prepared.delete(sql);
    this.prepared.set(sql, statement);
    const message = concat([
      protocol.serialize.bind({ statement: statement.name, values: this.serializeParams(statement, params) }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    ]);
    let messages: BackendMessage[];
    try {
      messages = await this.pglite.execProtocolStream(message, { syncToFs: true });
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      const resultTypeChanged = error.code === FEATURE_NOT_SUPPORTED && error.message === RESULT_TYPE_CHANGED;
      if (resultTypeChanged || error.code === INVALID_SQL_STATEMENT_NAME) {
        // The statement's result type changed under it (or it was deallocated): prepare it again. Inside a
        // transaction the error has already aborted it, so the caller hears of it; the next try is prepared afresh.
        this.forget(sql);
        if (mayRetry && !this.pglite.isInTransaction()) return this.runPrepared(sql, params, false);
      }
      throw withQuery(error, sql, params);
    }
    return resultOf(statement, messages, this.pglite.parsers);
  }

  /**
   * Parse and Describe by name, after closing what was evicted or forgotten (in the same call, so PostgreSQL holds no
   * more statements than the cache). A statement PostgreSQL refuses is not kept.
   */
  private async prepare(sql: string, params: unknown[]): Promise<Prepared> {
    if (this.prepared.size >= this.capacity) {
      const [leastRecent] = this.prepared.keys();
      if (leastRecent !== undefined) this.forget(leastRecent);
    }
    const name = `chainlog_${this.nextName++}`;
    const closing = this.closing;
    const message = concat([
      ...closing.map((closed) => protocol.serialize.close({ type: 'S', name: closed })),
      protocol.serialize.parse({ name, text: sql }),
      protocol.serialize.describe({ type: 'S', name }),
      protocol.serialize.sync(),
    ]);
    let messages: BackendMessage[];
    try {
      messages = await this.pglite.execProtocolStream(message, { syncToFs: false });
    } catch (error) {
      throw isDatabaseError(error) ? withQuery(error, sql, params) : error;
    }
    // Closing a statement that is gone already is no error, so a close that failed with the Parse is sent again.
    this.closing = this.closing.filter((closed) => !closing.includes(closed));
    const statement: Prepared = {
      name,
      parameterTypes: parse.parseDescribeStatementResults(messages),
      rowDescription: messages.find(isRowDescription),
    };
    this.prepared.set(sql, statement);
    return statement;
  }

  /** As PGlite's query() turns a parameter into text: by the type PostgreSQL inferred for it. */
  private serializeParams(statement: Prepared, params: unknown[]): (string | null)[] {
    return params.map((param, index) => {
      if (param === null || param === undefined) return null;
      const type = statement.parameterTypes[index];
      const serialize = type === undefined ? undefined : this.pglite.serializers[type];
      return serialize ? serialize(param) : String(param);
    });
  }

  /** Forgets the prepared statements that `sql`, about to run, may change (see preparedEffectOf). */
  private forgetWhatChanges(sql: string): void {
    const inTransaction = this.pglite.isInTransaction();
    if (!inTransaction) this.forgotInTransaction = false;
    const effect = preparedEffectOf(sql);
    if (effect === 'keeps' || (effect === 'ends' && !this.forgotInTransaction)) return;
    this.forgetAll();
    if (inTransaction && effect === 'forgets') this.forgotInTransaction = true;
  }

  private forget(sql: string): void {
    const statement = this.prepared.get(sql);
    if (!statement) return;
    this.prepared.delete(sql);
    this.closing.push(statement.name);
  }

  private forgetAll(): void {
    for (const sql of [...this.prepared.keys()]) this.forget(sql);
  }
}

/**
 * The rows and the affected-row count of one statement's messages, as PGlite's parse.parseResults reads them, without
 * its first step: that copies every type parser PGlite knows (over 300) into a new object on each call, about 0.07 ms
 * a statement (on the log writer's statements, more than parsing them).
 */
function resultOf(statement: Prepared, messages: BackendMessage[], parsers: ParserOptions): PreparedResult {
  // Execute sends no row description: it came with Describe, once.
  const fields = statement.rowDescription?.fields ?? [];
  const rows: unknown[] = [];
  let affectedRows = 0;
  for (const message of messages) {
    if (message instanceof backend.DataRowMessage) {
      rows.push(
        Object.fromEntries(
          message.fields.map((value, index) => {
            const field = fields[index];
            if (!field) throw new Error('PGlite returned a row with more columns than its statement describes');
            return [field.name, types.parseType(value, field.dataTypeID, parsers)];
          }),
        ),
      );
    } else if (message instanceof backend.CommandCompleteMessage) {
      affectedRows += affectedRowsOf(message.text);
    }
  }
  return { rows, affectedRows };
}

/** As PGlite counts them: rows inserted, updated, deleted, copied or merged; 0 for a select. */
function affectedRowsOf(commandTag: string): number {
  const [command, first, second] = commandTag.split(' ');
  if (command === 'INSERT') return Number.parseInt(second ?? '0', 10);
  if (command === 'UPDATE' || command === 'DELETE' || command === 'COPY' || command === 'MERGE')
    return Number.parseInt(first ?? '0', 10);
  return 0;
}

function isRowDescription(message: BackendMessage): message is RowDescriptionMessage {
  return message.name === 'rowDescription';
}

function isDatabaseError(error: unknown): error is backend.DatabaseError {
  return error instanceof backend.DatabaseError;
}

/** As PGlite's query() reports a failed statement: with its text and parameters. */
function withQuery(error: backend.DatabaseError, sql: string, params: unknown[]): Error {
  return Object.assign(error, { query: sql, params, queryOptions: undefined });
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const message = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}
