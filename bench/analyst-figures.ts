/**
 * The analyst figures of issue 11 on a large log, each beside the same query without the index or the daily totals
 * that serve it, measured in the same run: one chain's summary, a filtered explorer page deep into the table (keyset),
 * task_stats and the Stats page over 30 days, chains.list filtered by a task name, a full-text search page. A baseline runs in a transaction that drops
 * the index (or reads the view's old definition) and rolls back. Prints medians, the load average, and EXPLAIN
 * ANALYZE of the three slowest figures.
 *   BENCH_DATABASE_URL=postgres://... npx tsx bench/analyst-figures.ts [--logs 1000000] [--schema name] [--keep]
 * --schema reuses a schema that already holds a seeded log (else it is made and seeded); --keep leaves it behind.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Db, openDatabase } from '../server/src/db/client.js';
import type { Database } from '../server/src/db/database.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { listChainsWithTotals } from '../server/src/db/queries/chains.js';
import { listLogs } from '../server/src/db/queries/logs.js';
import { dailyStatsAndHistograms } from '../server/src/db/queries/stats.js';
import { rollUpTaskStats } from '../server/src/db/queries/task-stats-rollup.js';
import { seedSyntheticData } from '../server/src/db/synthetic-seed.js';
import { setLogLevel } from '../server/src/log.js';
import { getStatsOverview } from '../server/src/services/stats.js';
import { chainPageCandidates } from './chain-page-candidates.js';

const { values } = parseArgs({
  options: { logs: { type: 'string' }, schema: { type: 'string' }, keep: { type: 'boolean' } },
});
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
const logs = Number(values.logs ?? 200_000);
const schema = values.schema ?? `bench_figures_${process.pid}`;
const RUNS = 7;
const BASELINE_RUNS = 3;
const DAY_MS = 86_400_000;

setLogLevel('warn');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(`load average at start: ${load()}`);
const admin = await openDatabase({ kind: 'postgres', url, poolSize: 1 }, { migrate: false });
await sql`create schema if not exists ${sql.id(schema)}`.execute(admin.db);
const database = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 2 });
const { db } = database;
try {
  const present = await sql<{ rows: number }>`select count(*)::int as rows from inference_log`.execute(db);
  if ((present.rows[0]?.rows ?? 0) === 0) {
    const started = performance.now();
    await seedSyntheticData(db, { logs });
    console.log(
      `seeded ${logs.toLocaleString('en-US')} logs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const rolled = await timed(() => rollUpTaskStats(db));
  console.log(`roll-up before the reads: ${rolled.ms.toFixed(0)} ms (${rolled.value.days} days written)`);
  const noOp = await timed(() => rollUpTaskStats(db));
  console.log(`a roll-up with nothing to close: ${noOp.ms.toFixed(1)} ms`);
  // What autovacuum does on a live database (this VM runs PostgreSQL without it): the visibility map lets index-only
  // scans skip the heap, as chains.list's name filter's does.
  const vacuumed = await timed(() => sql`vacuum inference_log, chain`.execute(db));
  console.log(`vacuum of inference_log and chain: ${(vacuumed.ms / 1000).toFixed(1)} s`);
  await sql`analyze`.execute(db);
  const counts = await sql<{ logs: number; chains: number }>`
    select count(*)::int as logs, count(distinct chain_id)::int as chains from inference_log`.execute(db);
  console.log(`${counts.rows[0]?.logs} log rows in ${counts.rows[0]?.chains} chains, schema ${schema}\n`);
  await report(db);
} finally {
  await database.close();
  if (!values.keep)
    await sql`drop schema if exists ${sql.id(schema)}, ${sql.id(jobsSchemaFor(schema))} cascade`.execute(admin.db);
  await admin.close();
  console.log(`\nload average at the end: ${load()}`);
}

interface Figure {
  label: string;
  /** One read, given the run's number (to vary the chain asked for). */
  read: (db: Db, run: number) => Promise<unknown>;
  /** The same read without what serves it: indexes dropped in a transaction that rolls back, or a query of its own. */
  baseline: { dropIndexes: string[] } | { read: (db: Db, run: number) => Promise<unknown> };
  /** Runs of the baseline (default BASELINE_RUNS); 1 for one that reads the whole table for minutes. */
  baselineRuns?: number;
  /** The statement EXPLAIN ANALYZE shows when the figure is among the slowest. */
  explain: (db: Db) => Promise<string>;
}

async function report(db: Db): Promise<void> {
  const chainIds = (
    await sql<{ chain_id: string }>`
      select chain_id from inference_log tablesample system (1) repeatable (7) group by chain_id limit ${RUNS + 1}`.execute(
      db,
    )
  ).rows.map((row) => row.chain_id);
  const chainOf = (run: number) => chainIds[run % chainIds.length] ?? '';
  // 100,000 sentiment rows from the newest: deep into the table for a person paging the explorer.
  const deep = await sql<{ id: string }>`
    select id from inference_log where name = 'sentiment' order by id desc offset 100000 limit 1`.execute(db);
  const deepPage = { name: 'sentiment', order: 'desc' as const, cursor: deep.rows[0]?.id, limit: 50 };
  const today = new Date().toISOString().slice(0, 10);
  const thirtyDays = { from: new Date(Date.now() - 29 * DAY_MS).toISOString().slice(0, 10), to: today };
  const since = sql`(${thirtyDays.from}::date::timestamp at time zone 'UTC')`;
  const figures: Figure[] = [
    {
      label: "one chain's summary (chain_summary where chain_id = …)",
      read: (db, run) => sql`select * from chain_summary where chain_id = ${chainOf(run)}`.execute(db),
      baseline: { dropIndexes: ['inference_log_chain_id_idx'] },
      explain: (db) => explain(db, sql`select * from chain_summary where chain_id = ${chainOf(0)}`),
    },
    {
      label: 'explorer page of 50, name = sentiment, 100,000 rows deep (keyset)',
      read: (db) => listLogs(db, deepPage),
      baseline: { dropIndexes: ['inference_log_name_id_idx', 'inference_log_name_created_at_idx'] },
      explain: (db) =>
        explain(
          db,
          sql`select id from inference_log where name = 'sentiment' and id < ${deepPage.cursor} order by id desc limit 50`,
        ),
    },
    {
      label: 'task_stats, last 30 days',
      read: (db) => sql`select * from task_stats where day >= ${since}`.execute(db),
      baseline: { read: (db) => sql`select * from task_stats_between(${since}, 'infinity')`.execute(db) },
      explain: (db) => explain(db, sql`select * from task_stats where day >= ${since}`),
    },
    {
      label: 'Stats page (stats.overview), last 30 days',
      read: (db) => getStatsOverview(db, thirtyDays),
      baseline: { read: (db) => previousStatsOverview(db, since) },
      explain: (db) => explain(db, dailyStatsAndHistograms(thirtyDays)),
    },
    {
      label: "chains.list page of 25, name = entity extraction (no chain's first call)",
      read: (db) => listChainsWithTotals(db, { name: 'entity extraction', limit: 26 }),
      baseline: { dropIndexes: ['inference_log_name_chain_id_idx'] },
      baselineRuns: 1,
      explain: (db) => explain(db, chainPageCandidates('entity extraction')),
    },
    {
      label: "chains.list page of 25, name = sentiment (a first call's)",
      read: (db) => listChainsWithTotals(db, { name: 'sentiment', limit: 26 }),
      baseline: { dropIndexes: ['inference_log_name_chain_id_idx'] },
      explain: (db) => explain(db, chainPageCandidates('sentiment')),
    },
    {
      label: 'full-text search page of 50: refund (1 row in 6)',
      read: (db) => listLogs(db, { q: 'refund', order: 'desc', limit: 50 }),
      baseline: { dropIndexes: ['inference_log_document_idx'] },
      explain: (db) =>
        explain(
          db,
          sql`select id from inference_log where inference_log_document(request, output) @@ inference_log_search('refund') order by id desc limit 50`,
        ),
    },
    {
      label: 'full-text search page of 50: A-4242 (a few rows)',
      read: (db) => listLogs(db, { q: 'A-4242', order: 'desc', limit: 50 }),
      baseline: { dropIndexes: ['inference_log_document_idx'] },
      baselineRuns: 1,
      explain: (db) =>
        explain(
          db,
          sql`select id from inference_log where inference_log_document(request, output) @@ inference_log_search('A-4242') order by id desc limit 50`,
        ),
    },
  ];
  console.log('| read | with the index or daily totals (ms, median) | without (ms, median) | ratio | load |');
  console.log('|---|---:|---:|---:|---|');
  const measured: { figure: Figure; ms: number }[] = [];
  for (const figure of figures) {
    const ms = await median(RUNS, (run) => figure.read(db, run));
    const baseline = await measureBaseline(db, figure);
    measured.push({ figure, ms });
    console.log(
      `| ${figure.label} | ${ms.toFixed(1)} | ${baseline.toFixed(1)} | ${(baseline / ms).toFixed(0)}× | ${load()} |`,
    );
  }
  for (const { figure, ms } of measured.sort((left, right) => right.ms - left.ms).slice(0, 3)) {
    console.log(`\nEXPLAIN ANALYZE, ${figure.label} (${ms.toFixed(1)} ms):\n${await figure.explain(db)}`);
  }
}

async function measureBaseline(db: Db, figure: Figure): Promise<number> {
  const { baseline } = figure;
  const runs = figure.baselineRuns ?? BASELINE_RUNS;
  if ('read' in baseline) return median(runs, (run) => baseline.read(db, run));
  const transaction = await db.startTransaction().execute();
  try {
    for (const index of baseline.dropIndexes) await sql`drop index ${sql.id(index)}`.execute(transaction);
    return await median(runs, (run) => figure.read(transaction, run));
  } finally {
    await transaction.rollback().execute();
  }
}

/** stats.overview as it was before the daily totals: sums from the log's rows, percentiles sorted from them. */
async function previousStatsOverview(db: Db, since: ReturnType<typeof sql>): Promise<unknown> {
  const range = sql`created_at >= ${since}`;
  return Promise.all([
    sql`select day, name, provider, model, sum(calls), sum(attempts), sum(errors), sum(cost_usd), sum(input_tokens), sum(output_tokens)
        from task_stats_between(${since}, 'infinity') group by grouping sets ((day, name), (day, provider, model))`.execute(
      db,
    ),
    sql`select name, provider, model, count(*), percentile_cont(0.5) within group (order by latency_ms),
               percentile_cont(0.95) within group (order by latency_ms)
        from inference_log where ${range} and latency_ms is not null group by grouping sets ((name), (provider, model))`.execute(
      db,
    ),
  ]);
}

async function explain(db: Kysely<Database>, query: RawBuilder<unknown>): Promise<string> {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${query}`.execute(db);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** The median of `runs` timed runs, after one untimed run that warms the caches (none when a single run is asked). */
async function median(runs: number, work: (run: number) => Promise<unknown>): Promise<number> {
  if (runs > 1) await work(runs);
  const timings: number[] = [];
  for (let run = 0; run < runs; run++) timings.push((await timed(() => work(run))).ms);
  timings.sort((left, right) => left - right);
  return timings[Math.floor(runs / 2)] ?? Number.NaN;
}
