/**
 * Issue #13, measured before building: what the log's two writes per call cost when pending rows live in the log
 * itself (A, today) against a small table of their own (B), on PostgreSQL (the backend's CPU from /proc) and on
 * PGlite (the time a call's statements take, in this thread and in the worker).
 *   A: the writer's pending insert into inference_log, then its upsert of the finished rows over them.
 *   B: the pending insert into inference_log_pending (primary key only; the rows of ids already finished are skipped),
 *      then one statement that deletes the pending rows and inserts the finished ones into inference_log.
 * Also B without its guard, B on an unlogged table (lost in a crash, so it breaks a promise; for scale) (the `not exists` on the log), and the floor: no pending row (a `select 1` in its place)
 * then B's finished statement. Each cost is split by statement (ms a call = a row). Both on the same migrated log preloaded with finished rows, synchronous commit, 1 and 8 rows a statement (the
 * writer's batch at c=32), variants alternating round by round.
 *   BENCH_DATABASE_URL=postgres://... npx tsx bench/pending-table-cost.ts
 *   BENCH_DATABASES (postgres,pglite), BENCH_ROUNDS (5), BENCH_PRELOAD (rows, 20000), BENCH_SIZES (1,8)
 */
import { COLUMNS, PENDING_COLUMNS } from '../server/src/db/inference-log-statements.js';
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

const OPTIONS: VariantBenchOptions = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  preload: Number(process.env.BENCH_PRELOAD ?? 20_000),
  sizes: (process.env.BENCH_SIZES ?? '1,8').split(',').map(Number),
  callsPerRound: 800,
  setup: [pendingTable('inference_log_pending'), pendingTable('inference_log_pending_unlogged', true)],
  leftPending: 'select count(*)::text as count from inference_log_pending',
  variants: variantsFor,
};

function pendingTable(table: string, unlogged = false) {
  return `create ${unlogged ? 'unlogged ' : ''}table ${table} (
  id uuid primary key, chain_id uuid not null, chain_step integer, name text not null, provider text not null,
  model text not null, status text not null, attempt integer not null, call_id uuid, request jsonb not null,
  request_template_id text, instance_id uuid, created_at timestamptz not null)`;
}

function placeholders(rowCount: number, columnCount: number, cast?: (column: number) => string) {
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const cells = Array.from(
      { length: columnCount },
      (_, column) => `$${row * columnCount + column + 1}${cast ? cast(column) : ''}`,
    );
    tuples.push(`(${cells.join(', ')})`);
  }
  return tuples.join(', ');
}

/** Variant B's statements. */
function pendingTableStatements(types: ColumnTypes, table = 'inference_log_pending') {
  const valuesOf = (rows: readonly NewInferenceLog[], columns: readonly (keyof NewInferenceLog)[]) =>
    rows.flatMap((row) => columns.map((column) => row[column] ?? null));
  const updated = COLUMNS.filter((column) => column !== 'id' && column !== 'created_at');
  return {
    pending(rows: readonly NewInferenceLog[]): Statement {
      const cast = (column: number) => `::${types.get(PENDING_COLUMNS[column] ?? '') ?? 'text'}`;
      return {
        name: `${table}_pending_${rows.length}`,
        text:
          `insert into ${table} (${PENDING_COLUMNS.join(', ')}) select * from (values ${placeholders(rows.length, PENDING_COLUMNS.length, cast)}) ` +
          `as row (${PENDING_COLUMNS.join(', ')}) where not exists (select from inference_log as log where log.id = row.id) ` +
          'on conflict (id) do nothing',
        values: valuesOf(rows, PENDING_COLUMNS),
      };
    },
    finished(rows: readonly NewInferenceLog[]): Statement {
      const ids = rows.map((_, row) => `$${row * COLUMNS.length + 1}`);
      return {
        name: `${table}_finished_${rows.length}`,
        text:
          `with gone as (delete from ${table} where id in (${ids.join(', ')})) ` +
          `insert into inference_log (${COLUMNS.join(', ')}) values ${placeholders(rows.length, COLUMNS.length)} ` +
          `on conflict (id) do update set ${updated.map((column) => `${column} = excluded.${column}`).join(', ')}`,
        values: valuesOf(rows, COLUMNS),
      };
    },
  };
}

function variantsFor(types: ColumnTypes): Variant[] {
  return [
    writerVariant(),
    { name: 'B', ...pendingTableStatements(types) },
    {
      name: 'B without the guard',
      pending: (rows) => {
        const guarded = pendingTableStatements(types).pending(rows);
        return {
          name: `b_unguarded_${rows.length}`,
          text: `insert into inference_log_pending (${PENDING_COLUMNS.join(', ')}) values ${placeholders(rows.length, PENDING_COLUMNS.length)} on conflict (id) do nothing`,
          values: guarded.values,
        };
      },
      finished: (rows) => pendingTableStatements(types).finished(rows),
    },
    // Not durable: PostgreSQL empties an unlogged table after a crash, and it writes no WAL (nor flushes any at commit).
    { name: 'B, unlogged table', ...pendingTableStatements(types, 'inference_log_pending_unlogged') },
    // The floor of any design of the pending row: none at all (`select 1` in its place), the finished row inserted.
    {
      name: 'floor: no pending row',
      pending: () => ({ name: 'floor_select', text: 'select 1', values: [] }),
      finished: (rows) => pendingTableStatements(types).finished(rows),
    },
  ];
}

setLogLevel('warn');
await runVariantBench('pending rows in the log (A) or a table of their own (B)', OPTIONS);
