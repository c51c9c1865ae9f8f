import type { NewInferenceLog } from './tables/inference-log.js';
import type { NewRequestTemplate } from './tables/request-template.js';

/** Every column of a log row, `id` first; exported for the benches that write rows as the writer does. */
export const COLUMNS = [
  'id',
  'chain_id',
  'chain_step',
  'name',
  'provider',
  'model',
  'status',
  'attempt',
  'call_id',
  'request',
  'request_template_id',
  'response',
  'output',
  'error',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'price_source',
  'latency_ms',
  'provider_request_id',
  'instance_id',
  'created_at',
  'finished_at',
] as const satisfies readonly (keyof NewInferenceLog)[];
// A call_id the database gave the pending row (a retry written without one) stays.
const UPDATED_COLUMNS = COLUMNS.filter((column) => column !== 'id' && column !== 'created_at' && column !== 'call_id');
// What a pending row has; a batch of only pending rows takes a leaner statement.
export const PENDING_COLUMNS = [
  'id',
  'chain_id',
  'chain_step',
  'name',
  'provider',
  'model',
  'status',
  'attempt',
  'call_id',
  'request',
  'request_template_id',
  'instance_id',
  'created_at',
] as const satisfies readonly (keyof NewInferenceLog)[];
/** What the writer's statements do with a row already there, by kind; exported for the benches. */
export const PENDING_ON_CONFLICT = 'on conflict (id) do nothing';
export const UPSERT_ON_CONFLICT =
  `on conflict (id) do update set ${UPDATED_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')} ` +
  // A late pending insert must not undo a finished row.
  `where excluded.status <> 'pending'`;
/** 23 parameters a row; PostgreSQL allows 65 535 a statement. */
export const MAX_BATCH_ROWS = 1_000;
// Statements for small batches are kept (and prepared by name on pg); rarer large ones are built when needed.
const CACHED_STATEMENT_ROWS = 64;

/** One statement of the writer; `name` (when set) lets pg prepare it once per connection. */
export interface LogStatement {
  name: string | undefined;
  text: string;
  values: unknown[];
}

/**
 * Builds the multi-row statements that write inference_log rows, keeping the text of the common sizes. A pending
 * row never undoes a finished one, whichever reaches the database first.
 */
export function createLogStatements(): (rows: readonly NewInferenceLog[]) => LogStatement {
  const texts = new Map<string, string>();
  return (rows) => {
    const onlyPending = rows.every((row) => row.status === 'pending');
    const columns = onlyPending ? PENDING_COLUMNS : COLUMNS;
    const values: unknown[] = [];
    for (const row of rows) for (const column of columns) values.push(row[column] ?? null);
    const build = onlyPending ? buildPendingInsert : buildUpsert;
    if (rows.length > CACHED_STATEMENT_ROWS) return { name: undefined, text: build(rows.length), values };
    const name = `inference_log_${onlyPending ? 'pending' : 'upsert'}_${rows.length}`;
    let text = texts.get(name);
    if (!text) {
      text = build(rows.length);
      texts.set(name, text);
    }
    return { name, text, values };
  };
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
    PENDING_ON_CONFLICT
  );
}

function buildUpsert(rowCount: number): string {
  return `insert into inference_log (${COLUMNS.join(', ')}) values ${valuesList(rowCount, COLUMNS.length)} ${UPSERT_ON_CONFLICT}`;
}

/** Stores a request template; one already there (another process wrote it) is left as it is. */
export function requestTemplateInsert(template: NewRequestTemplate): LogStatement {
  return {
    name: 'request_template_insert',
    text: 'insert into request_template (id, output, system_messages) values ($1, $2, $3) on conflict (id) do nothing',
    values: [template.id, template.output, template.system_messages],
  };
}
