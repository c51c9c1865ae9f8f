import { CompiledQuery } from 'kysely';
import type { Db } from './client.js';
import type { NewInferenceLog } from './tables/inference-log.js';

const COLUMNS = [
  'id', 'chain_id', 'name', 'provider', 'model', 'status', 'attempt', 'request', 'response', 'output', 'error',
  'input_tokens', 'output_tokens', 'cost_usd', 'latency_ms', 'provider_request_id', 'created_at', 'finished_at',
] as const satisfies readonly (keyof NewInferenceLog)[];
const UPDATED_COLUMNS = COLUMNS.filter((column) => column !== 'id' && column !== 'created_at');
// 18 parameters a row; PostgreSQL allows 65 535 a statement.
const MAX_BATCH_ROWS = 1_000;

interface QueuedRow {
  row: NewInferenceLog;
  resolve(): void;
  reject(error: unknown): void;
}

export interface InferenceLogWriter {
  /**
   * Writes a pending or a finished row; resolves once it is committed. A finished row always wins over the
   * pending row of the same id, whichever reaches the database first.
   */
  write(row: NewInferenceLog): Promise<void>;
}

/**
 * Group commit for inference_log: a row is written at once when a connection is free; rows that arrive while
 * every connection is busy wait and go together in one multi-row upsert. No added delay at low load, one
 * statement per batch under load, and every caller still waits for its own row to be committed.
 */
export function createInferenceLogWriter(db: Db, options: { concurrency: number }): InferenceLogWriter {
  const queue: QueuedRow[] = [];
  const statements = new Map<number, string>();
  let flushing = 0;

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
    const rows = latestRowPerId(batch);
    const parameters: unknown[] = [];
    for (const row of rows) for (const column of COLUMNS) parameters.push(row[column] ?? null);
    try {
      await db.executeQuery(CompiledQuery.raw(statementFor(rows.length), parameters));
      for (const queued of batch) queued.resolve();
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }

  function statementFor(rowCount: number): string {
    let statement = statements.get(rowCount);
    if (!statement) {
      statement = buildUpsert(rowCount);
      statements.set(rowCount, statement);
    }
    return statement;
  }

  return {
    write(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        pump();
      });
    },
  };
}

/** One upsert may not touch a row twice: keep the finished row of an id over its pending one. */
function latestRowPerId(batch: readonly QueuedRow[]): NewInferenceLog[] {
  const byId = new Map<string, NewInferenceLog>();
  for (const { row } of batch) {
    const seen = byId.get(row.id);
    if (!seen || seen.status === 'pending') byId.set(row.id, row);
  }
  return [...byId.values()];
}

function buildUpsert(rowCount: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const placeholders = COLUMNS.map((_, column) => `$${row * COLUMNS.length + column + 1}`);
    tuples.push(`(${placeholders.join(', ')})`);
  }
  return (
    `insert into inference_log (${COLUMNS.join(', ')}) values ${tuples.join(', ')} ` +
    `on conflict (id) do update set ${UPDATED_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')} ` +
    // A late pending insert must not undo a finished row.
    `where excluded.status <> 'pending'`
  );
}
