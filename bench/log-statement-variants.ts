/**
 * The harness of the benches that weigh other ways of writing the log's rows against the writer's own statements
 * (bench/pending-table-cost.ts, bench/log-statement-forms.ts): a scratch log migrated as the app's and preloaded with
 * finished rows of a real ask(), on PostgreSQL (the backend's CPU from /proc) and on PGlite (the statements' time, in
 * this thread and through the worker), each variant's pending and finished statements alternating round by round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase } from '../server/src/db/client.js';
import type { Database } from '../server/src/db/database.js';
import { createLogStatements, requestTemplateInsert } from '../server/src/db/inference-log-statements.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { migrateToLatest } from '../server/src/db/migrate.js';
import { type PGliteQueryable, PGliteDialect } from '../server/src/db/pglite-dialect.js';
import { PreparedPGlite } from '../server/src/db/pglite-prepared.js';
import { PGliteWorkerClient } from '../server/src/db/pglite-worker/client.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { type CapturedRows, captureRows } from './log-write-rows.js';
import { readProcessCpuMs } from './process-cpu.js';
import { median } from './timing.js';

export interface Statement {
  name: string;
  text: string;
  values: unknown[];
  /** PostgreSQL only: CSV sent with COPY … FROM STDIN into `table`, then `text` run, in one transaction. */
  copy?: { table: string; columns: readonly string[]; csv: string };
}

export interface Variant {
  name: string;
  pending(rows: readonly NewInferenceLog[]): Statement;
  finished(rows: readonly NewInferenceLog[]): Statement;
}

export type ColumnTypes = Map<string, string>;

export interface VariantBenchOptions {
  rounds: number;
  /** Finished rows in the log before the rounds start. */
  preload: number;
  sizes: readonly number[];
  /** Calls (rows) per variant, size and round. */
  callsPerRound: number;
  /** Statements run once on each database after the preload, before the rounds (the variants' own tables). */
  setup: readonly string[];
  /** A query of one row, `count` (text): the pending rows the variants left behind, which should be none. */
  leftPending: string;
  /** The variants for a database, `A` (the writer's statements) first: every figure is also given against it. */
  variants(types: ColumnTypes, database: 'postgres' | 'pglite'): Variant[];
}

type Run = (statement: Statement) => Promise<void>;

/** The writer's own statements, as they are: the variant the others are measured against. */
export function writerVariant(): Variant {
  const today = createLogStatements();
  const asStatement = (statement: ReturnType<typeof today>): Statement => ({
    ...statement,
    name: statement.name ?? '',
  });
  return { name: 'A', pending: (rows) => asStatement(today(rows)), finished: (rows) => asStatement(today(rows)) };
}

function printLoad(when: string): void {
  console.log(
    `load average ${when} ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
}

/**
 * Runs the variants on the databases BENCH_DATABASES names (postgres,pglite by default; PostgreSQL at
 * BENCH_DATABASE_URL or TEST_DATABASE_URL) and prints each one's cost per call, `title` first.
 */
export async function runVariantBench(title: string, options: VariantBenchOptions): Promise<void> {
  const databases = (process.env.BENCH_DATABASES ?? 'postgres,pglite').split(',');
  console.log(
    `${title}; ${options.preload} finished rows preloaded, ${options.rounds} rounds of ${options.callsPerRound} calls a variant and size, synchronous commit`,
  );
  printLoad('at the start');
  console.log('what (ms a call)        rows | median of the rounds: call (pending statement + finished statement)');
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (databases.includes('postgres')) {
    if (!url) throw new Error('postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
    await onPostgres(url, options);
  }
  if (databases.includes('pglite')) await onPGlite(options);
  printLoad('at the end');
}

/** The request template, the preloaded finished rows as the writer writes them, the setup, fresh statistics. */
async function prepareScratch(
  run: (text: string, values?: unknown[]) => Promise<void>,
  captured: CapturedRows,
  options: VariantBenchOptions,
): Promise<void> {
  const template = requestTemplateInsert(captured.template);
  await run(template.text, template.values);
  for (const statement of options.setup) await run(statement);
  const statementFor = createLogStatements();
  for (let loaded = 0; loaded < options.preload; loaded += 500) {
    const { finished } = rowsFor(captured, Math.min(500, options.preload - loaded));
    const { text, values } = statementFor(finished);
    await run(text, values);
  }
  await run('vacuum analyze inference_log');
}

/** The column types of inference_log, for the casts a statement that does not name the table's columns needs. */
async function columnTypes(query: (text: string) => Promise<{ name: string; type: string }[]>): Promise<ColumnTypes> {
  const rows = await query(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
     where attrelid = 'inference_log'::regclass and attnum > 0 and not attisdropped`,
  );
  return new Map(rows.map((row) => [row.name, row.type]));
}

function rowsFor(captured: CapturedRows, size: number) {
  const pending = Array.from(
    { length: size },
    (): NewInferenceLog => ({ ...captured.pending, id: uuidv7(), chain_id: uuidv7(), created_at: new Date() }),
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
async function alternate(
  label: string,
  run: Run,
  variants: Variant[],
  captured: CapturedRows,
  meter: () => number,
  options: VariantBenchOptions,
) {
  const perCall = new Map<string, number[]>();
  const keep = (key: string, value: number) => perCall.set(key, [...(perCall.get(key) ?? []), value]);
  for (let round = 0; round <= options.rounds; round++) {
    for (const size of options.sizes) {
      const shift = round % variants.length;
      const order = [...variants.slice(shift), ...variants.slice(0, shift)];
      for (const variant of order) {
        let pendingCost = 0;
        let finishedCost = 0;
        for (let written = 0; written < options.callsPerRound; written += size) {
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
        const calls = Math.ceil(options.callsPerRound / size) * size;
        keep(`${variant.name}|${size}|pending`, pendingCost / calls);
        keep(`${variant.name}|${size}|finished`, finishedCost / calls);
        keep(`${variant.name}|${size}|call`, (pendingCost + finishedCost) / calls);
      }
    }
  }
  for (const size of options.sizes) {
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

/** The variants on a scratch schema of the PostgreSQL at `url`, dropped afterwards; costs are the backend's CPU. */
async function onPostgres(url: string, options: VariantBenchOptions): Promise<void> {
  const schema = `logvariants_${process.pid}`;
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
    await prepareScratch(
      async (text, values) => {
        await client.query(text, values);
      },
      captured,
      options,
    );
    const types = await columnTypes(async (text) => (await client.query<{ name: string; type: string }>(text)).rows);
    const run: Run = async (statement) => {
      if (!statement.copy) {
        await client.query(statement);
        return;
      }
      const { table, columns, csv } = statement.copy;
      await client.query('begin');
      try {
        await pipeline(
          Readable.from([csv]),
          client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv)`)),
        );
        await client.query(statement.text);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    };
    await alternate(
      'postgres backend CPU',
      run,
      options.variants(types, 'postgres'),
      captured,
      () => readProcessCpuMs(pid) ?? Number.NaN,
      options,
    );
    // What the rounds left, as a check that every variant wrote what it should (no row still pending).
    const left = await client.query<{ count: string }>(
      `${options.leftPending} union all select count(*)::text from inference_log`,
    );
    console.log(`   afterwards: ${left.rows[0]?.count} pending rows left, ${left.rows[1]?.count} log rows`);
    await client.end();
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.query(`drop schema if exists ${jobsSchemaFor(schema)} cascade`);
    await admin.end();
  }
}

/** The variants on a file-backed PGlite, in this thread and through the worker; costs are the statements' time. */
async function onPGlite(options: VariantBenchOptions): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-log-variants-'));
  const template = new PGlite('memory://');
  const migrator = new Kysely<Database>({ dialect: new PGliteDialect(template) });
  await migrateToLatest(migrator);
  const captured = await captureRows(migrator);
  await prepareScratch(
    async (text, values) => {
      await template.query(text, values);
    },
    captured,
    options,
  );
  const types = await columnTypes(async (text) => (await template.query<{ name: string; type: string }>(text)).rows);
  const dump = await template.dumpDataDir('none');
  await migrator.destroy();
  const threads: [string, PGliteQueryable][] = [
    ['pglite in-process ms', new PreparedPGlite(new PGlite(path.join(folder, 'main'), { loadDataDir: dump }))],
    ['pglite worker ms', new PGliteWorkerClient({ dataDir: path.join(folder, 'worker'), loadDataDir: dump })],
  ];
  for (const [label, queryable] of threads) {
    const run: Run = async (statement) => {
      if (statement.copy) throw new Error('COPY variants run on PostgreSQL only');
      await queryable.query(statement.text, statement.values);
    };
    await alternate(label, run, options.variants(types, 'pglite'), captured, () => performance.now(), options);
  }
  await Promise.all(threads.map(([, queryable]) => queryable.close()));
  rmSync(folder, { recursive: true, force: true });
}
