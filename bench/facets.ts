/**
 * logs.facets on a large log: the one statement of three skip scans (server/src/db/queries/log-facets.ts) beside the
 * three DISTINCT scans it replaced, run as they were (at once, on three pooled connections), alternately in the same
 * run. Prints medians, the ratio, the load average, and EXPLAIN ANALYZE of the skip scans.
 *   BENCH_DATABASE_URL=postgres://... npm run bench:facets -- [--logs 1000000] [--schema name] [--runs 15]
 * Without --schema, a scratch schema is made, seeded with `npm run db:seed`'s synthetic log and dropped at the end;
 * --schema reads a schema that already holds a seeded log (public, for a database seeded with db:seed), and seeds it
 * only when its log is empty.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { type Db, openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { listLogFacets, logFacetsStatement } from '../server/src/db/queries/log-facets.js';
import { seedSyntheticData } from '../server/src/db/synthetic-seed.js';
import { setLogLevel } from '../server/src/log.js';
import { distinctFacets } from '../server/test/distinct-facets.js';
import { median, timed } from './timing.js';

const { values } = parseArgs({
  options: { logs: { type: 'string' }, schema: { type: 'string' }, runs: { type: 'string' } },
});
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
const logs = Number(values.logs ?? 1_000_000);
const runs = Number(values.runs ?? 15);
const scratch = values.schema === undefined;
const schema = values.schema ?? `bench_facets_${process.pid}`;

setLogLevel('warn');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(`load average at start: ${load()}`);
const admin = await openDatabase({ kind: 'postgres', url, poolSize: 1 }, { migrate: false });
if (scratch) await sql`create schema ${sql.id(schema)}`.execute(admin.db);
// Three connections, as the server's pool lent the three DISTINCT queries at once.
const database = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 3 });
const { db } = database;
try {
  const present = await sql<{ rows: number }>`select count(*)::int as rows from inference_log`.execute(db);
  if ((present.rows[0]?.rows ?? 0) === 0) {
    const started = performance.now();
    await seedSyntheticData(db, { logs });
    console.log(
      `seeded ${logs.toLocaleString('en-US')} logs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await sql`analyze inference_log`.execute(db);
  }
  const rows = await sql<{ rows: number }>`select count(*)::int as rows from inference_log`.execute(db);
  console.log(`${rows.rows[0]?.rows.toLocaleString('en-US')} log rows, schema ${schema}\n`);
  await report(db);
} finally {
  await database.close();
  if (scratch)
    await sql`drop schema if exists ${sql.id(schema)}, ${sql.id(jobsSchemaFor(schema))} cascade`.execute(admin.db);
  await admin.close();
  console.log(`\nload average at the end: ${load()}`);
}

async function report(db: Db): Promise<void> {
  const [skipScans, distinct] = [await listLogFacets(db), await distinctFacets(db)];
  if (JSON.stringify(skipScans) !== JSON.stringify(distinct))
    throw new Error(`the skip scans found ${JSON.stringify(skipScans)}, DISTINCT ${JSON.stringify(distinct)}`);
  console.log(
    `both find ${skipScans.names.length} names, ${skipScans.models.length} models, ${skipScans.providers.length} providers\n`,
  );
  // Alternated, so both see the same load; one untimed run of each warms the caches first.
  const timings = { skipScans: [] as number[], distinct: [] as number[] };
  for (let run = -1; run < runs; run++) {
    const skip = await timed(() => listLogFacets(db));
    const full = await timed(() => distinctFacets(db));
    if (run < 0) continue;
    timings.skipScans.push(skip);
    timings.distinct.push(full);
  }
  const ms = { skipScans: median(timings.skipScans), distinct: median(timings.distinct) };
  console.log(`| logs.facets (${runs} runs each, alternated) | ms, p50 | ratio | load |`);
  console.log('|---|---:|---:|---|');
  console.log(`| three DISTINCT scans (before) | ${ms.distinct.toFixed(1)} | 1× | ${load()} |`);
  console.log(
    `| one statement of three skip scans | ${ms.skipScans.toFixed(1)} | ${(ms.distinct / ms.skipScans).toFixed(0)}× faster | ${load()} |`,
  );
  const plan = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${logFacetsStatement()}`.execute(db);
  console.log(`\nEXPLAIN ANALYZE, the skip scans:\n${plan.rows.map((row) => row['QUERY PLAN']).join('\n')}`);
}
