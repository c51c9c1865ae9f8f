/**
 * Issue #13's "prepared multi-row statements, COPY for large batches", measured: the writer's statements (A: a
 * multi-row `values` list, prepared by name up to 64 rows, built anew above) against the same rows sent as one
 * array per column (U: `unnest($1::uuid[], …)`, PostgreSQL), as one JSON array (J: `jsonb_to_recordset($1)`), and
 * with COPY (C, PostgreSQL: COPY cannot upsert, and a pending row must not undo a finished one, so the rows go into
 * a temporary table first, then into the log with A's conflict rules, in one transaction). Rows of a real ask(),
 * synchronous commit, from the writer's batch at 32 calls at a time (8 rows) to a backlog's (1,000).
 *   BENCH_DATABASE_URL=postgres://... npx tsx bench/log-statement-forms.ts
 *   BENCH_DATABASES (postgres,pglite), BENCH_ROUNDS (5), BENCH_PRELOAD (rows, 20000), BENCH_SIZES (8,64,256,1000)
 */
import {
  COLUMNS,
  PENDING_COLUMNS,
  PENDING_ON_CONFLICT,
  UPSERT_ON_CONFLICT,
} from '../server/src/db/inference-log-statements.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import { setLogLevel } from '../server/src/log.js';
import {
  type ColumnTypes,
  runVariantBench,
  type Statement,
  type Variant,
  type VariantBenchOptions,
  writerVariant,
} from './log-statement-variants.js';

const JSONB_COLUMNS = new Set(['request', 'response', 'output', 'error']);
const STAGE = 'log_stage';
const OPTIONS: VariantBenchOptions = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  preload: Number(process.env.BENCH_PRELOAD ?? 20_000),
  sizes: (process.env.BENCH_SIZES ?? '8,64,256,1000').split(',').map(Number),
  callsPerRound: 1_000,
  // Without the log's indexes, no WAL, and emptied at each commit (a truncation, not dead rows to scan past).
  setup: [`create temporary table ${STAGE} (like inference_log) on commit delete rows`],
  leftPending: `select count(*)::text as count from inference_log where status = 'pending'`,
  variants: (types, database) => [
    writerVariant(),
    ...(database === 'postgres' ? [bothKinds('U unnest', (rows) => unnestStatement(types, rows))] : []),
    bothKinds('J jsonb_to_recordset', (rows) => jsonStatement(types, rows)),
    ...(database === 'postgres' ? [bothKinds('C copy, then insert', copyStatement)] : []),
  ],
};

function bothKinds(name: string, statement: (rows: readonly NewInferenceLog[]) => Statement): Variant {
  return { name, pending: statement, finished: statement };
}

/** The columns a batch carries, and what A does on a conflict with each. */
function shapeOf(rows: readonly NewInferenceLog[]) {
  const onlyPending = rows.every((row) => row.status === 'pending');
  return {
    kind: onlyPending ? 'pending' : 'upsert',
    columns: onlyPending ? PENDING_COLUMNS : COLUMNS,
    onConflict: onlyPending ? PENDING_ON_CONFLICT : UPSERT_ON_CONFLICT,
  };
}

function unnestStatement(types: ColumnTypes, rows: readonly NewInferenceLog[]): Statement {
  const { kind, columns, onConflict } = shapeOf(rows);
  const arrays = columns.map((column, index) => `$${index + 1}::${types.get(column) ?? 'text'}[]`);
  return {
    name: `unnest_${kind}`,
    text: `insert into inference_log (${columns.join(', ')}) select * from unnest(${arrays.join(', ')}) ${onConflict}`,
    values: columns.map((column) => rows.map((row) => row[column] ?? null)),
  };
}

function jsonStatement(types: ColumnTypes, rows: readonly NewInferenceLog[]): Statement {
  const { kind, columns, onConflict } = shapeOf(rows);
  // The jsonb columns hold JSON text already: spliced in as it is, not quoted again.
  const objects = rows.map((row) => {
    const fields = columns.map((column) => {
      const value = row[column];
      const json =
        value === null || value === undefined
          ? 'null'
          : JSONB_COLUMNS.has(column)
            ? String(value)
            : JSON.stringify(value);
      return `"${column}":${json}`;
    });
    return `{${fields.join(',')}}`;
  });
  const record = columns.map((column) => `${column} ${types.get(column) ?? 'text'}`).join(', ');
  return {
    name: `json_${kind}`,
    text: `insert into inference_log (${columns.join(', ')}) select ${columns.join(', ')} from jsonb_to_recordset($1::jsonb) as row (${record}) ${onConflict}`,
    values: [`[${objects.join(',')}]`],
  };
}

function copyStatement(rows: readonly NewInferenceLog[]): Statement {
  const { columns, onConflict } = shapeOf(rows);
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = value instanceof Date ? value.toISOString() : String(value);
    return `"${text.replaceAll('"', '""')}"`;
  };
  const list = columns.join(', ');
  return {
    name: '',
    text: `insert into inference_log (${list}) select ${list} from ${STAGE} ${onConflict}`,
    values: [],
    copy: {
      table: STAGE,
      columns,
      csv: rows.map((row) => columns.map((column) => cell(row[column])).join(',')).join('\n'),
    },
  };
}

setLogLevel('warn');
await runVariantBench("the log's rows as a values list (A, the writer's), arrays (U), JSON (J) or COPY (C)", OPTIONS);
