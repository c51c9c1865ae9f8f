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
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../server/src/db/client.js';
import type { Database } from '../server/src/db/database.js';
import {
  COLUMNS,
  createLogStatements,
  PENDING_COLUMNS,
  requestTemplateInsert,
} from '../server/src/db/inference-log-statements.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { migrateToLatest } from '../server/src/db/migrate.js';
import { type PGliteQueryable, PGliteDialect } from '../server/src/db/pglite-dialect.js';
import { PreparedPGlite } from '../server/src/db/pglite-prepared.js';
import { PGliteWorkerClient } from '../server/src/db/pglite-worker/client.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import { setLogLevel } from '../server/src/log.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { type CapturedRows, captureRows } from './log-write-rows.js';
import { readProcessCpuMs } from './process-cpu.js';
import { median } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 20_000);
const SIZES = (process.env.BENCH_SIZES ?? '1,8').split(',').map(Number);
const DATABASES = (process.env.BENCH_DATABASES ?? 'postgres,pglite').split(',');
// Calls (rows) per variant, size and round.
const CALLS_PER_ROUND = 800;

interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

type Run = (statement: Statement) => Promise<void>;

const pendingTable = (table: string, unlogged = false) => `create ${unlogged ? 'unlogged ' : ''}table ${table} (
  id uuid primary key, chain_id uuid not null, chain_step integer, name text not null, provider text not null,
  model text not null, status text not null, attempt integer not null, request jsonb not null,
  request_template_id text, instance_id uuid, created_at timestamptz not null)`;

/**
 * What each database starts from: the captured request template, both pending tables, PRELOAD finished rows
 * written as the log writer writes them, and fresh statistics.
 */
async function prepareScratch(
  run: (text: string, values?: unknown[]) => Promise<void>,
  captured: CapturedRows,
): Promise<void> {
  const template = requestTemplateInsert(captured.template);
  await run(template.text, template.values);
  await run(pendingTable('inference_log_pending'));
  await run(pendingTable('inference_log_pending_unlogged', true));
  const statementFor = createLogStatements();
  for (let loaded = 0; loaded < PRELOAD; loaded += 500) {
    const { finished } = rowsFor(captured, Math.min(500, PRELOAD - loaded));
    const { text, values } = statementFor(finished);
    await run(text, values);
  }
  await run('vacuum analyze inference_log');
}

/** The column types of inference_log, for the casts a `values` list under a select needs. */
async function columnTypes(query: (text: string) => Promise<{ name: string; type: string }[]>) {
  const rows = await query(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
     where attrelid = 'inference_log'::regclass and attnum > 0 and not attisdropped`,
  );
  return new Map(rows.map((row) => [row.name, row.type]));
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
function pendingTableStatements(types: Map<string, string>, table = 'inference_log_pending') {
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

interface Variant {
  name: string;
  pending(rows: readonly NewInferenceLog[]): Statement;
  finished(rows: readonly NewInferenceLog[]): Statement;
}

function variantsFor(types: Map<string, string>): Variant[] {
  const today = createLogStatements();
  const asStatement = (statement: ReturnType<typeof today>): Statement => ({
    ...statement,
    name: statement.name ?? '',
  });
  return [
    { name: 'A', pending: (rows) => asStatement(today(rows)), finished: (rows) => asStatement(today(rows)) },
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

function rowsFor(captured: CapturedRows, size: number) {
  const pending = Array.from(
    { length: size },
    (): NewInferenceLog => ({
      ...captured.pending,
      id: uuidv7(),
      chain_id: uuidv7(),
      created_at: new Date(),
    }),
  );
  const finished = pending.map(
    (row): NewInferenceLog => ({
      ...captured.finished,
      id: row.id,
      chain_id: row.chain_id,
      created_at: row.created_at,
    }),
  );
  return { pending, finished };
}

/**
 * Each variant's cost per call (ms), per size, split by statement: `meter` reads a running total of what the database
 * has spent (the backend's CPU, or the clock), before and after each statement.
 */
async function alternate(label: string, run: Run, variants: Variant[], captured: CapturedRows, meter: () => number) {
  const perCall = new Map<string, number[]>();
  const keep = (key: string, value: number) => perCall.set(key, [...(perCall.get(key) ?? []), value]);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const size of SIZES) {
      const shift = round % variants.length;
      const order = [...variants.slice(shift), ...variants.slice(0, shift)];
      for (const variant of order) {
        let pendingCost = 0;
        let finishedCost = 0;
        for (let written = 0; written < CALLS_PER_ROUND; written += size) {
          const { pending, finished } = rowsFor(captured, size);
          const first = variant.pending(pending);
          const second = variant.finished(finished);
          let before = meter();
          await run(first);
          let after = meter();
          pendingCost += after - before;
          before = meter();
          await run(second);
          after = meter();
          finishedCost += after - before;
        }
        // Round 0 warms up: the JIT, each statement's first prepare, the caches.
        if (round === 0) continue;
        keep(`${variant.name}|${size}|pending`, pendingCost / CALLS_PER_ROUND);
        keep(`${variant.name}|${size}|finished`, finishedCost / CALLS_PER_ROUND);
        keep(`${variant.name}|${size}|call`, (pendingCost + finishedCost) / CALLS_PER_ROUND);
      }
    }
  }
  for (const size of SIZES) {
    const figure = (name: string, part: string) => median(perCall.get(`${name}|${size}|${part}`) ?? []);
    const a = figure('A', 'call');
    for (const variant of variants) {
      const rounds = (perCall.get(`${variant.name}|${size}|call`) ?? []).map((value) => value.toFixed(3)).join(' ');
      const call = figure(variant.name, 'call');
      console.log(
        `${label.padEnd(22)} ${String(size).padStart(4)} | ${variant.name.padEnd(21)} ${call.toFixed(3)} = ${figure(variant.name, 'pending').toFixed(3)} + ${figure(variant.name, 'finished').toFixed(3)} | vs A ${(call / a).toFixed(2)} | rounds ${rounds}`,
      );
    }
  }
}

async function postgres(url: string): Promise<void> {
  const schema = `pendtab_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  try {
    const migrated = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
    const captured = await captureRows(migrated.db);
    await migrated.close();
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema} -c jit=off` });
    await client.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
    await prepareScratch(async (text, values) => {
      await client.query(text, values);
    }, captured);
    const types = await columnTypes(async (text) => (await client.query<{ name: string; type: string }>(text)).rows);
    const run: Run = async (statement) => {
      await client.query(statement);
    };
    await alternate(
      'postgres backend CPU',
      run,
      variantsFor(types),
      captured,
      () => readProcessCpuMs(pid) ?? Number.NaN,
    );
    const left = await client.query<{ pending: string; log: string }>(
      'select (select count(*) from inference_log_pending)::text as pending, (select count(*) from inference_log)::text as log',
    );
    console.log(`   afterwards: ${left.rows[0]?.pending} pending rows left, ${left.rows[0]?.log} log rows`);
    await client.end();
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.query(`drop schema if exists ${jobsSchemaFor(schema)} cascade`);
    await admin.end();
  }
}

async function pglite(): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-pending-table-'));
  const template = new PGlite('memory://');
  const migrator = new Kysely<Database>({ dialect: new PGliteDialect(template) });
  await migrateToLatest(migrator);
  const captured = await captureRows(migrator);
  await prepareScratch(async (text, values) => {
    await template.query(text, values);
  }, captured);
  const types = await columnTypes(async (text) => (await template.query<{ name: string; type: string }>(text)).rows);
  const dump = await template.dumpDataDir('none');
  await migrator.destroy();
  const threads: [string, PGliteQueryable][] = [
    ['pglite in-process ms', new PreparedPGlite(new PGlite(path.join(folder, 'main'), { loadDataDir: dump }))],
    ['pglite worker ms', new PGliteWorkerClient({ dataDir: path.join(folder, 'worker'), loadDataDir: dump })],
  ];
  for (const [label, queryable] of threads) {
    const run: Run = async (statement) => {
      await queryable.query(statement.text, statement.values);
    };
    await alternate(label, run, variantsFor(types), captured, () => performance.now());
  }
  await Promise.all(threads.map(([, queryable]) => queryable.close()));
  rmSync(folder, { recursive: true, force: true });
}

async function main(): Promise<void> {
  setLogLevel('warn');
  console.log(
    `pending rows in the log (A) or a table of their own (B); ${PRELOAD} finished rows preloaded, ${ROUNDS} rounds of ${CALLS_PER_ROUND} calls a variant and size, synchronous commit; load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  console.log('what (ms a call)        rows | median of the rounds: call (pending statement + finished statement)');
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (DATABASES.includes('postgres')) {
    if (!url) throw new Error('postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
    await postgres(url);
  }
  if (DATABASES.includes('pglite')) await pglite();
  console.log(
    `load average at the end ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
}

await main();
