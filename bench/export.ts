/**
 * Export of a million rows: seeds a scratch PostgreSQL schema with `npm run db:seed`'s synthetic chains (timed), starts
 * the real server in a process of its own on it, and streams GET /export/logs?format=csv to the end, reporting rows/s
 * and the server's resident memory: idle, sampled during the export, and its high-water mark (VmHWM).
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:export [-- logs]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { seedSyntheticData } from '../server/src/db/synthetic-seed.js';
import { setLogLevel } from '../server/src/log.js';
import { startServerProcess } from '../server/test/server-process.js';

const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
const logs = Number(process.argv[2] ?? 1_000_000);
const schema = `bench_export_${process.pid}`;
const MB = 1024 * 1024;

/** A line of /proc/<pid>/status, in MiB. */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

setLogLevel('warn');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create schema ${schema}`);
try {
  const database = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  const seedStarted = performance.now();
  const counts = await seedSyntheticData(database.db, { logs });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  await database.close();
  console.log(
    `seeded ${counts.logs.toLocaleString('en-US')} logs in ${counts.chains.toLocaleString('en-US')} chains ` +
      `(${counts.chainRows.toLocaleString('en-US')} chain rows, ${counts.chainEvents.toLocaleString('en-US')} events) in ${seedSeconds.toFixed(1)} s`,
  );
  await admin.query(`analyze ${schema}.inference_log`);

  const serverUrl = new URL(url);
  serverUrl.searchParams.set('options', `-c search_path=${schema}`);
  const server = await startServerProcess({ DATABASE_URL: serverUrl.toString() });
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('the server process has no pid');
  try {
    await fetch(`${server.url}/healthz`);
    const idle = memoryOf(pid, 'VmRSS');
    let sampledPeak = idle;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryOf(pid, 'VmRSS'));
    }, 50);
    const started = performance.now();
    const response = await fetch(`${server.url}/export/logs?format=csv`);
    if (!response.ok || !response.body) throw new Error(`the export answered ${response.status}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      for (const byte of chunk) if (byte === 10) lines++;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const rows = lines - 1;
    console.log(
      `\n| export | rows | MiB | s | rows/s | server RSS idle (MiB) | peak RSS sampled (MiB) | VmHWM (MiB) |\n|---|---:|---:|---:|---:|---:|---:|---:|`,
    );
    console.log(
      `| /export/logs?format=csv | ${rows.toLocaleString('en-US')} | ${(bytes / MB).toFixed(0)} | ${seconds.toFixed(1)} | ` +
        `${Math.round(rows / seconds).toLocaleString('en-US')} | ${idle.toFixed(0)} | ${sampledPeak.toFixed(0)} | ${memoryOf(pid, 'VmHWM').toFixed(0)} |`,
    );
    if (rows !== counts.logs) throw new Error(`the export has ${rows} rows, the log ${counts.logs}`);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
} finally {
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  await admin.end();
}
