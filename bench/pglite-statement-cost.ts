/**
 * What one log statement costs inside PGlite, by kind and rows: the writer's pending-row insert, the finished-row
 * upsert over those pending rows (the usual case), and `select 1` for the floor, each run back to back on a
 * file-backed PGlite as the server opens it, with the rows of a real ask(). In this thread the time is PGlite's work
 * and its JS (parameters, protocol, results); in the worker it adds the trip to the worker and back.
 *   npx tsx bench/pglite-statement-cost.ts        (BENCH_ROUNDS, default 5)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { Database } from '../server/src/db/database.js';
import { createLogStatements, requestTemplateInsert } from '../server/src/db/inference-log-statements.js';
import { migrateToLatest } from '../server/src/db/migrate.js';
import { type PGliteQueryable, PGliteDialect } from '../server/src/db/pglite-dialect.js';
import { PreparedPGlite } from '../server/src/db/pglite-prepared.js';
import { PGliteWorkerClient } from '../server/src/db/pglite-worker/client.js';
import type { NewInferenceLog } from '../server/src/db/tables/inference-log.js';
import { setLogLevel } from '../server/src/log.js';
import { uuidv7 } from '../server/src/uuid-v7.js';
import { captureRows } from './log-write-rows.js';
import { median } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = [1, 2, 4, 8, 16, 32];
// Rows written per size and round: enough statements for a stable median at every size.
const ROWS_PER_ROUND = 512;

async function main(): Promise<void> {
  setLogLevel('warn');
  const folder = mkdtempSync(path.join(tmpdir(), 'chainlog-bench-statement-cost-'));
  const template = new PGlite('memory://');
  const migrator = new Kysely<Database>({ dialect: new PGliteDialect(template) });
  await migrateToLatest(migrator);
  const captured = await captureRows(migrator);
  const dump = await template.dumpDataDir('none');
  await migrator.destroy();
  const variants: [string, PGliteQueryable][] = [
    ['in-process', new PreparedPGlite(new PGlite(path.join(folder, 'main'), { loadDataDir: dump }))],
    ['worker', new PGliteWorkerClient({ dataDir: path.join(folder, 'worker'), loadDataDir: dump })],
  ];
  for (const [, queryable] of variants) {
    const insert = requestTemplateInsert(captured.template);
    await queryable.query(insert.text, insert.values);
  }
  const statementFor = createLogStatements();
  const now = () => new Date();
  const pendingRow = (id: string, chainId: string): NewInferenceLog => ({
    ...captured.pending,
    id,
    chain_id: chainId,
    created_at: now(),
  });
  const finishedRow = (pending: NewInferenceLog): NewInferenceLog => ({
    ...captured.finished,
    id: pending.id,
    chain_id: pending.chain_id,
    created_at: pending.created_at,
    finished_at: now(),
  });
  // kind | variant | rows → medians of each round (ms a statement)
  const timings = new Map<string, number[]>();
  const keep = (key: string, value: number) => timings.set(key, [...(timings.get(key) ?? []), value]);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [variantName, queryable] of variants) {
      for (const size of SIZES) {
        const pendingTimes: number[] = [];
        const finishedTimes: number[] = [];
        const selectTimes: number[] = [];
        for (let written = 0; written < ROWS_PER_ROUND; written += size) {
          const pending = Array.from({ length: size }, () => pendingRow(uuidv7(), uuidv7()));
          const pendingStatement = statementFor(pending);
          let started = performance.now();
          await queryable.query(pendingStatement.text, pendingStatement.values);
          pendingTimes.push(performance.now() - started);
          const finishedStatement = statementFor(pending.map(finishedRow));
          started = performance.now();
          await queryable.query(finishedStatement.text, finishedStatement.values);
          finishedTimes.push(performance.now() - started);
          started = performance.now();
          await queryable.query('select 1', []);
          selectTimes.push(performance.now() - started);
        }
        // Round 0 warms up: the JIT, each size's first prepare.
        if (round === 0) continue;
        keep(`pending insert|${variantName}|${size}`, median(pendingTimes));
        keep(`finished upsert|${variantName}|${size}`, median(finishedTimes));
        if (size === 1) keep(`select 1|${variantName}|1`, median(selectTimes));
      }
    }
  }
  console.log(`PGlite file-backed, prepared statements; ${ROUNDS} rounds of ${ROWS_PER_ROUND} rows a size`);
  console.log('statement        | thread     | rows | ms a statement | ms a row');
  for (const [key, medians] of timings) {
    const [kind = '', variantName = '', rows = '1'] = key.split('|');
    const perStatement = median(medians);
    console.log(
      `${kind.padEnd(16)} | ${variantName.padEnd(10)} | ${rows.padStart(4)} | ${perStatement.toFixed(3).padStart(14)} | ${(perStatement / Number(rows)).toFixed(3).padStart(8)}`,
    );
  }
  await Promise.all(variants.map(([, queryable]) => queryable.close()));
  rmSync(folder, { recursive: true, force: true });
}

await main();
