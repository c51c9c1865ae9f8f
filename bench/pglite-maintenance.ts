/**
 * PGlite's table maintenance (server/src/services/pglite-maintenance.ts) on a seeded log that was never vacuumed:
 *   1. VACUUM and ANALYZE of inference_log with the options PostgreSQL 17 offers that bear on time (a buffer ring of
 *      the default size, 16 MB, none), and VACUUM (ANALYZE) as one statement against two: how long each holds
 *      PGlite's one connection, medians of `--rounds`, the variants interleaved;
 *   2. chains.list filtered by a task name that is no chain's first call: never vacuumed, after ANALYZE alone, and
 *      after the maintenance's first pass (timed, table by table), with EXPLAIN ANALYZE of its candidates;
 *   3. a later turn: the newest fifth of the log updated (as ask() finishes a pending row: a dead row each), past
 *      autovacuum's 50 + 0.2 × reltuples, then the maintenance again (its VACUUM now cleans every index).
 * Every measurement runs on a fresh copy of the data directory, which is left as it was.
 *   CHAINLOG_DATA_DIR=/tmp/seeded npm run db:seed -- --logs 1000000
 *   npx tsx bench/pglite-maintenance.ts --data-dir /tmp/seeded [--rounds 3] [--name "entity extraction"]
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { type DatabaseHandle, type Db, openDatabase } from '../server/src/db/client.js';
import { listChainsWithTotals } from '../server/src/db/queries/chains.js';
import { setLogLevel } from '../server/src/log.js';
import { type TableMaintained, maintainTables } from '../server/src/services/pglite-maintenance.js';
import { median, timed } from './timing.js';
import { chainPageCandidates } from './chain-page-candidates.js';

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, rounds: { type: 'string' }, name: { type: 'string' } },
});
const source = values['data-dir'] ? path.join(values['data-dir'], 'pgdata') : undefined;
if (!source || !existsSync(source)) throw new Error('--data-dir: a CHAINLOG_DATA_DIR seeded with npm run db:seed');
const rounds = Number(values.rounds ?? 3);
const name = values.name ?? 'entity extraction';
const LIST_RUNS = 5;
const copyDir = path.join(tmpdir(), `chainlog-bench-maintenance-${process.pid}`);

setLogLevel('warn');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** Opens a fresh copy of the seeded data directory (as a server would find it), runs `work`, throws the copy away. */
async function onCopy<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  rmSync(copyDir, { recursive: true, force: true });
  cpSync(source as string, copyDir, { recursive: true });
  const database = await openDatabase({ kind: 'pglite', dataDir: copyDir }, { migrate: false });
  try {
    return await work(database);
  } finally {
    await database.close();
    rmSync(copyDir, { recursive: true, force: true });
  }
}

interface Variant {
  label: string;
  statements: string[];
}

const VARIANTS: Variant[] = [
  { label: 'VACUUM', statements: ['vacuum inference_log'] },
  { label: "VACUUM (BUFFER_USAGE_LIMIT '16MB')", statements: ["vacuum (buffer_usage_limit '16MB') inference_log"] },
  { label: 'VACUUM (BUFFER_USAGE_LIMIT 0): no ring', statements: ['vacuum (buffer_usage_limit 0) inference_log'] },
  { label: 'ANALYZE', statements: ['analyze inference_log'] },
  { label: 'ANALYZE (BUFFER_USAGE_LIMIT 0)', statements: ['analyze (buffer_usage_limit 0) inference_log'] },
  { label: 'VACUUM (ANALYZE), one statement', statements: ['vacuum (analyze) inference_log'] },
  { label: 'VACUUM, then ANALYZE (the maintenance)', statements: ['vacuum inference_log', 'analyze inference_log'] },
];

async function measureVariants(): Promise<void> {
  const timings = new Map<Variant, { total: number[]; longest: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const ms = await onCopy(async ({ db }) => {
        const each: number[] = [];
        for (const statement of variant.statements) each.push(await timed(() => sql.raw(statement).execute(db)));
        return each;
      });
      const entry = timings.get(variant) ?? { total: [], longest: [] };
      entry.total.push(ms.reduce((sum, value) => sum + value, 0));
      entry.longest.push(Math.max(...ms));
      timings.set(variant, entry);
      console.log(`  round ${round + 1}: ${variant.label}: ${ms.map((value) => value.toFixed(0)).join(' + ')} ms`);
    }
  }
  console.log(`\n| inference_log, never vacuumed | total (ms, median of ${rounds}) | longest hold (ms) |`);
  console.log('|---|---:|---:|');
  for (const [variant, { total, longest }] of timings)
    console.log(`| ${variant.label} | ${median(total).toFixed(0)} | ${median(longest).toFixed(0)} |`);
}

async function explain(db: Db): Promise<string> {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${chainPageCandidates(name)}`.execute(
    db,
  );
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

/** chains.list page of 25 by the name: the median of LIST_RUNS after one that warms the cache, and the ids. */
async function timeChainsList(db: Db): Promise<{ ms: number; ids: string; rows: number }> {
  const read = () => listChainsWithTotals(db, { name, limit: 26 });
  const listed = await read();
  const ids = listed.map((row) => row.chain_id).join(',');
  const runs: number[] = [];
  for (let run = 0; run < LIST_RUNS; run++) runs.push(await timed(read));
  return { ms: median(runs), ids, rows: listed.length };
}

async function measureChainsList(): Promise<void> {
  const { before, after, pass, passMs, plans } = await onCopy(async (database) => {
    const { db } = database;
    const before = await timeChainsList(db);
    const planBefore = await explain(db);
    let pass: Awaited<ReturnType<typeof maintainTables>> | undefined;
    const passMs = await timed(async () => {
      pass = await maintainTables({ db, status: database.status, countersComplete: false });
    });
    const after = await timeChainsList(db);
    return { before, after, pass, passMs, plans: [planBefore, await explain(db)] };
  });
  const analyzedOnly = await onCopy(async ({ db }) => {
    await sql`analyze inference_log`.execute(db);
    await sql`analyze chain`.execute(db);
    return timeChainsList(db);
  });
  console.log(`\nthe maintenance's first pass: ${(passMs / 1000).toFixed(1)} s`);
  for (const table of pass?.tables ?? []) console.log(`  ${table.schema}.${table.table}: ${took(table)}`);
  console.log(`\n| chains.list page of 25, name = ${name} (median of ${LIST_RUNS}) | ms | ratio |`);
  console.log('|---|---:|---:|');
  console.log(`| never vacuumed | ${before.ms.toFixed(0)} | 1 |`);
  console.log(
    `| after ANALYZE of inference_log and chain alone | ${analyzedOnly.ms.toFixed(0)} | ${(analyzedOnly.ms / before.ms).toFixed(3)} |`,
  );
  console.log(`| after the maintenance's first pass | ${after.ms.toFixed(0)} | ${(after.ms / before.ms).toFixed(3)} |`);
  console.log(
    `same chains listed: ${before.ids === after.ids && before.ids === analyzedOnly.ids} (${before.rows} rows)`,
  );
  console.log(`\nEXPLAIN ANALYZE of its candidates, never vacuumed:\n${plans[0]}`);
  console.log(`\nthe same after the maintenance:\n${plans[1]}`);
}

function took(table: TableMaintained): string {
  const statements = [
    ...(table.vacuumMs === undefined ? [] : [`VACUUM ${table.vacuumMs.toFixed(0)} ms`]),
    ...(table.analyzeMs === undefined ? [] : [`ANALYZE ${table.analyzeMs.toFixed(0)} ms`]),
  ];
  return `${statements.join(', ')}${table.error === undefined ? '' : ', then failed'}`;
}

async function measureLaterTurn(): Promise<void> {
  await onCopy(async (database) => {
    const { db, status } = database;
    await maintainTables({ db, status, countersComplete: false });
    const { rows } = await sql<{
      rows: number;
    }>`select reltuples::int as rows from pg_class where relname = 'inference_log'`.execute(db);
    const updated = Math.ceil(0.2 * (rows[0]?.rows ?? 0)) + 51;
    const updateMs = await timed(() =>
      sql`update inference_log set status = status where id in (select id from inference_log order by id desc limit ${updated})`.execute(
        db,
      ),
    );
    const passMs = await timed(async () => {
      const pass = await maintainTables({ db, status, countersComplete: true });
      for (const table of pass.tables)
        console.log(`  ${table.schema}.${table.table}: ${took(table)} (${table.reason})`);
    });
    console.log(
      `a later turn, after ${updated.toLocaleString('en-US')} rows of inference_log were updated (${(updateMs / 1000).toFixed(1)} s): ${(passMs / 1000).toFixed(1)} s`,
    );
  });
}

console.log(`load average at start: ${load()}; ${source}, ${rounds} rounds`);
try {
  await measureVariants();
  await measureChainsList();
  console.log(`\nload average: ${load()}`);
  await measureLaterTurn();
} finally {
  rmSync(copyDir, { recursive: true, force: true });
  console.log(`\nload average at the end: ${load()}`);
}
