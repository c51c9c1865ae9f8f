/**
 * Export of a million rows: seeds a scratch PostgreSQL schema with `npm run db:seed`'s synthetic chains (timed), starts
 * the real server in a process of its own on it, and streams GET /export/logs?format=csv, then /export/chains, to the
 * end, reporting rows/s and the server's resident memory: idle, sampled during the export, and its high-water mark
 * (VmHWM). Then pages of the chains export (1,000 chains each, at several depths) as the export reads them, with JIT
 * off, beside the same pages with the server's JIT setting, alternated: the p50 of each and the ratio.
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:export [-- logs] [--schema name]
 * --schema reads a schema that already holds a seeded log (public, for a database seeded with db:seed) and keeps it.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { type Db, openDatabase } from '../server/src/db/client.js';
import { listChainsWithTotals } from '../server/src/db/queries/chains.js';
import { readChainExportPages } from '../server/src/db/queries/export.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { seedSyntheticData } from '../server/src/db/synthetic-seed.js';
import { setLogLevel } from '../server/src/log.js';
import { startServerProcess } from '../server/test/server-process.js';
import { median, timed } from './timing.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { schema: { type: 'string' } } });
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
const logs = Number(positionals[0] ?? 1_000_000);
const scratch = values.schema === undefined;
const schema = values.schema ?? `bench_export_${process.pid}`;
const MB = 1024 * 1024;
/** The export's page size (export-handler's PAGE_ROWS), and how many depths of the chains are paged from. */
const PAGE_ROWS = 1_000;
const PAGE_DEPTHS = 7;

/** A line of /proc/<pid>/status, in MiB. */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

setLogLevel('warn');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
if (scratch) await admin.query(`create schema ${schema}`);
console.log(`load average at start: ${load()}`);
try {
  const database = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  const present = await database.db
    .selectFrom('inference_log')
    .select((expression) => expression.fn.countAll<number>().as('rows'))
    .executeTakeFirstOrThrow();
  if (Number(present.rows) === 0) {
    const seedStarted = performance.now();
    const counts = await seedSyntheticData(database.db, { logs });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(
      `seeded ${counts.logs.toLocaleString('en-US')} logs in ${counts.chains.toLocaleString('en-US')} chains ` +
        `(${counts.chainRows.toLocaleString('en-US')} chain rows, ${counts.chainEvents.toLocaleString('en-US')} events) in ${seedSeconds.toFixed(1)} s`,
    );
    await admin.query(`analyze ${schema}.inference_log, ${schema}.chain`);
  }
  const expected = await sql<{ logs: number; chains: number }>`
    select (select count(*)::int from inference_log) as logs,
           (select count(*)::int from (select chain_id from inference_log union select id from chain) as chains) as chains`.execute(
    database.db,
  );
  const { logs: logRows = 0, chains: chainRows = 0 } = expected.rows[0] ?? {};
  console.log(
    `${logRows.toLocaleString('en-US')} logs in ${chainRows.toLocaleString('en-US')} chains, schema ${schema}`,
  );

  const serverUrl = new URL(url);
  serverUrl.searchParams.set('options', `-c search_path=${schema}`);
  const server = await startServerProcess({ DATABASE_URL: serverUrl.toString() });
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('the server process has no pid');
  try {
    await fetch(`${server.url}/healthz`);
    console.log(
      '\n| export | rows | MiB | s | rows/s | server RSS idle (MiB) | peak RSS sampled (MiB) | VmHWM so far (MiB) | load |\n|---|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const [path, rowsExpected] of [
      ['/export/logs?format=csv', logRows],
      ['/export/chains?format=csv', chainRows],
    ] as const) {
      const idle = memoryOf(pid, 'VmRSS');
      let sampledPeak = idle;
      const sampler = setInterval(() => {
        sampledPeak = Math.max(sampledPeak, memoryOf(pid, 'VmRSS'));
      }, 50);
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`);
      if (!response.ok || !response.body) throw new Error(`${path} answered ${response.status}`);
      let bytes = 0;
      let lines = 0;
      // A cell may hold line breaks inside its quotes (a chain's input): only those outside end a row.
      let quoted = false;
      for await (const chunk of response.body) {
        bytes += chunk.byteLength;
        for (const byte of chunk) {
          if (byte === 34) quoted = !quoted;
          else if (byte === 10 && !quoted) lines++;
        }
      }
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      const rows = lines - 1;
      console.log(
        `| ${path} | ${rows.toLocaleString('en-US')} | ${(bytes / MB).toFixed(0)} | ${seconds.toFixed(1)} | ` +
          `${Math.round(rows / seconds).toLocaleString('en-US')} | ${idle.toFixed(0)} | ${sampledPeak.toFixed(0)} | ${memoryOf(pid, 'VmHWM').toFixed(0)} | ${load()} |`,
      );
      if (rows !== rowsExpected) throw new Error(`${path} has ${rows} rows, the database ${rowsExpected}`);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }

  const pages = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  try {
    await compareChainPages(pages.db, chainRows);
  } finally {
    await pages.close();
  }
} finally {
  if (scratch) await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  await admin.end();
  console.log(`\nload average at the end: ${load()}`);
}

/**
 * Pages of 1,000 chains from PAGE_DEPTHS depths of the list (the first page, then evenly deeper), each read as the
 * export reads it (on the app's connections, JIT off) and with PostgreSQL's default (JIT on), alternately; one untimed read of
 * each first.
 */
async function compareChainPages(db: Db, chains: number): Promise<void> {
  const cursors: (string | undefined)[] = [undefined];
  for (let depth = 1; depth < PAGE_DEPTHS; depth++) {
    const { rows } = await sql<{ id: string }>`
      select id from (select chain_id as id from inference_log union select id from chain) as chains
      order by id desc offset ${Math.floor((depth * chains) / PAGE_DEPTHS)} limit 1`.execute(db);
    cursors.push(rows[0]?.id);
  }
  const exportPage = async (cursor: string | undefined) => {
    const reader = readChainExportPages(db, { cursor }, PAGE_ROWS);
    const page = await reader.next();
    await reader.return(undefined);
    return page.value?.length ?? 0;
  };
  const listPage = (cursor: string | undefined) =>
    db.transaction().execute(async (transaction) => {
      await sql`set local jit = on`.execute(transaction);
      return (await listChainsWithTotals(transaction, { cursor, limit: PAGE_ROWS })).length;
    });
  await exportPage(cursors[0]);
  await listPage(cursors[0]);
  const timings = { off: [] as number[], server: [] as number[] };
  for (const cursor of cursors) {
    timings.off.push(await timed(() => exportPage(cursor)));
    timings.server.push(await timed(() => listPage(cursor)));
  }
  const off = median(timings.off);
  const server = median(timings.server);
  console.log(
    `\n| a page of ${PAGE_ROWS.toLocaleString('en-US')} chains of /export/chains (${cursors.length} depths, alternated) | ms, p50 | ms, each depth | ratio | load |\n|---|---:|---|---:|---|`,
  );
  console.log(
    `| PostgreSQL's default, jit = on | ${server.toFixed(0)} | ${timings.server.map((ms) => ms.toFixed(0)).join(' ')} | 1× | ${load()} |`,
  );
  console.log(
    `| the app's connections: jit = off | ${off.toFixed(0)} | ${timings.off.map((ms) => ms.toFixed(0)).join(' ')} | ${(server / off).toFixed(1)}× faster | ${load()} |`,
  );
}
