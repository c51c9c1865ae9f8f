/**
 * What named prepared statements save on PGlite, per statement: a log upsert (the writer's one-row statement) and
 * `select 1`, through PGlite's own query() and through PreparedPGlite, in this thread and in the worker thread,
 * interleaved round by round.
 *   npm run bench:pglite-prepared     (BENCH_ROUNDS, default 5; BENCH_PGLITE_FILES=1: file-backed, as the server runs)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createLogStatements } from '../server/src/db/inference-log-statements.js';
import type { PGliteQueryable } from '../server/src/db/pglite-dialect.js';
import { PreparedPGlite } from '../server/src/db/pglite-prepared.js';
import { PGliteWorkerClient } from '../server/src/db/pglite-worker/client.js';
import { setLogLevel } from '../server/src/log.js';
import { finishedBenchRow } from './log-write-rows.js';
import { migratedPgliteDump } from './migrated-pglite.js';
import { median } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS_PER_ROUND = 400;
const FILE_BACKED = process.env.BENCH_PGLITE_FILES === '1';
const folders: string[] = [];

function dataDir(): string {
  if (!FILE_BACKED) return 'memory://';
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-prepared-'));
  folders.push(folder);
  return path.join(folder, 'pgdata');
}

interface Variant {
  name: string;
  queryable: PGliteQueryable;
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const dump = await migratedPgliteDump();
  const load = () => dump;
  const plainMain = new PGlite(dataDir(), { loadDataDir: load() });
  const preparedMain = new PreparedPGlite(new PGlite(dataDir(), { loadDataDir: load() }));
  const plainWorker = new PGliteWorkerClient({ dataDir: dataDir(), loadDataDir: load(), preparedStatements: false });
  const preparedWorker = new PGliteWorkerClient({ dataDir: dataDir(), loadDataDir: load() });
  await Promise.all([plainMain.waitReady, preparedMain.waitReady, plainWorker.waitReady, preparedWorker.waitReady]);
  const variants: Variant[] = [
    { name: 'main thread, query()', queryable: plainMain },
    { name: 'main thread, prepared', queryable: preparedMain },
    { name: 'worker, query()', queryable: plainWorker },
    { name: 'worker, prepared', queryable: preparedWorker },
  ];
  const statementFor = createLogStatements();
  const workloads = {
    'log upsert (1 row)': async (queryable: PGliteQueryable) => {
      const statement = statementFor([finishedBenchRow()]);
      await queryable.query(statement.text, statement.values);
    },
    'select 1': async (queryable: PGliteQueryable) => {
      await queryable.query('select 1', []);
    },
  };
  const timings = new Map<string, number[]>();
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [workloadName, work] of Object.entries(workloads)) {
      for (const variant of variants) {
        const perCall: number[] = [];
        for (let call = 0; call < CALLS_PER_ROUND; call++) {
          const started = performance.now();
          await work(variant.queryable);
          perCall.push(performance.now() - started);
        }
        // Round 0 warms up (JIT, the first prepare).
        if (round === 0) continue;
        const key = `${workloadName} | ${variant.name}`;
        timings.set(key, [...(timings.get(key) ?? []), median(perCall)]);
      }
    }
  }
  console.log(`PGlite ${FILE_BACKED ? 'file-backed' : 'in memory'}, ${ROUNDS} rounds of ${CALLS_PER_ROUND} calls each`);
  for (const [key, medians] of timings) console.log(`${key.padEnd(48)} p50 ${median(medians).toFixed(3)} ms`);
  await Promise.all(variants.map((variant) => variant.queryable.close()));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
}

await main();
