import type { DatabaseHandle } from './client.js';
import type { NewInferenceLog } from './tables/inference-log.js';

const COLUMNS = [
  'id', 'chain_id', 'name', 'provider', 'model', 'status', 'attempt', 'request', 'response', 'output', 'error',
  'input_tokens', 'output_tokens', 'cost_usd', 'latency_ms', 'provider_request_id', 'created_at', 'finished_at',
] as const satisfies readonly (keyof NewInferenceLog)[];
const UPDATED_COLUMNS = COLUMNS.filter((column) => column !== 'id' && column !== 'created_at');
// What a pending row has; a batch of only pending rows takes a leaner statement.
const PENDING_COLUMNS = ['id', 'chain_id', 'name', 'provider', 'model', 'status', 'attempt', 'request', 'created_at'] as const satisfies readonly (keyof NewInferenceLog)[];
// 18 parameters a row; PostgreSQL allows 65 535 a statement.
const MAX_BATCH_ROWS = 1_000;
// Statements for small batches are kept (and prepared by name on pg); rarer large ones are built when needed.
const CACHED_STATEMENT_ROWS = 64;
const DEADLOCK_DETECTED = '40P01';

interface QueuedRow {
  row: NewInferenceLog;
  resolve(): void;
  reject(error: unknown): void;
}

/** One statement of the writer; `name` (when set) lets pg prepare it once per connection. */
export interface LogStatement {
  name: string | undefined;
  text: string;
  values: unknown[];
}

export type ExecuteLogStatement = (statement: LogStatement) => Promise<void>;

export interface InferenceLogWriter {
  /**
   * Writes a pending or a finished row; resolves once it is committed. A finished row always wins over the
   * pending row of the same id, whichever reaches the database first.
   */
  write(row: NewInferenceLog): Promise<void>;
}

/**
 * Group commit for inference_log: rows written in the same event-loop turn, or while every connection is busy,
 * go together in one multi-row statement; every caller still waits for its own row to be committed. A batch
 * that fails is retried row by row, so one bad row fails only its own caller.
 */
export function createInferenceLogWriter(execute: ExecuteLogStatement, options: { concurrency: number }): InferenceLogWriter {
  const queue: QueuedRow[] = [];
  const statements = new Map<string, string>();
  let flushing = 0;

  let scheduled = false;

  // Waits for the end of the current event-loop turn, so the rows of a burst of answers share one statement.
  function schedulePump(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  }

  function pump(): void {
    while (flushing < options.concurrency && queue.length > 0) {
      flushing++;
      void flush(queue.splice(0, MAX_BATCH_ROWS)).finally(() => {
        flushing--;
        pump();
      });
    }
  }

  async function flush(batch: QueuedRow[]): Promise<void> {
    try {
      await writeRows(latestRowPerId(batch));
      for (const queued of batch) queued.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(batch.map((queued) => writeRows([queued.row]).then(queued.resolve, queued.reject)));
    }
  }

  async function writeRows(rows: NewInferenceLog[], retryDeadlock = true): Promise<void> {
    const onlyPending = rows.every((row) => row.status === 'pending');
    const columns = onlyPending ? PENDING_COLUMNS : COLUMNS;
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of columns) parameters.push(row[column] ?? null);
    try {
      await execute(statementFor(rows.length, onlyPending, parameters));
    } catch (error) {
      // Rows are locked in id order, so a deadlock is unlikely; when PostgreSQL picks us as its victim, retry once.
      if (retryDeadlock && (error as { code?: unknown }).code === DEADLOCK_DETECTED) return writeRows(rows, false);
      throw error;
    }
  }

  function statementFor(rowCount: number, onlyPending: boolean, values: unknown[]): LogStatement {
    const build = onlyPending ? buildPendingInsert : buildUpsert;
    if (rowCount > CACHED_STATEMENT_ROWS) return { name: undefined, text: build(rowCount), values };
    const name = `inference_log_${onlyPending ? 'pending' : 'upsert'}_${rowCount}`;
    let text = statements.get(name);
    if (!text) {
      text = build(rowCount);
      statements.set(name, text);
    }
    return { name, text, values };
  }

  return {
    write(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        schedulePump();
      });
    },
  };
}

/**
 * One upsert may not touch a row twice: keep the finished row of an id over its pending one. Sorted by id so
 * concurrent statements lock rows in the same order (pending rows arrive in start order, finished ones in
 * answer order: unsorted, two batches could deadlock).
 */
function latestRowPerId(batch: readonly QueuedRow[]): NewInferenceLog[] {
  const byId = new Map<string, NewInferenceLog>();
  for (const { row } of batch) {
    const seen = byId.get(row.id);
    if (!seen || seen.status === 'pending') byId.set(row.id, row);
  }
  return [...byId.values()].sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
}

function valuesList(rowCount: number, columnCount: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const placeholders = Array.from({ length: columnCount }, (_, column) => `$${row * columnCount + column + 1}`);
    tuples.push(`(${placeholders.join(', ')})`);
  }
  return tuples.join(', ');
}

/** A finished row may already be there: then the pending one has nothing to add. */
function buildPendingInsert(rowCount: number): string {
  return (
    `insert into inference_log (${PENDING_COLUMNS.join(', ')}) values ${valuesList(rowCount, PENDING_COLUMNS.length)} ` +
    'on conflict (id) do nothing'
  );
}

function buildUpsert(rowCount: number): string {
  return (
    `insert into inference_log (${COLUMNS.join(', ')}) values ${valuesList(rowCount, COLUMNS.length)} ` +
    `on conflict (id) do update set ${UPDATED_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')} ` +
    // A late pending insert must not undo a finished row.
    `where excluded.status <> 'pending'`
  );
}

/** The writer for a database as opened: its log connection(s), as many flushes as they allow. */
export function createLogWriterFor(database: DatabaseHandle): InferenceLogWriter {
  return createInferenceLogWriter(database.executeLogStatement, { concurrency: database.logConcurrency });
}
