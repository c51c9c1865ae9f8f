import { rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/captured-logs.js';
import { startServerProcess } from '../../test/server-process.js';
import { migratedPgliteFolder, openTestDatabase } from '../../test/test-database.js';
import { type DatabaseHandle, type Db, openDatabase } from '../db/client.js';
import { maintainTables, startPgliteMaintenance } from './pglite-maintenance.js';

// PGlite only: PostgreSQL runs autovacuum itself, and the server starts this maintenance on PGlite alone.

interface Counts {
  vacuum_count: number;
  analyze_count: number;
}

async function countsOf(db: Db, table: string): Promise<Counts> {
  const { rows } = await sql<Counts>`
    select vacuum_count::int as vacuum_count, analyze_count::int as analyze_count
    from pg_stat_user_tables where relname = ${table}`.execute(db);
  const counts = rows[0];
  if (!counts) throw new Error(`no table ${table}`);
  return counts;
}

async function createTable(db: Db, table: string, rows: number): Promise<void> {
  await sql`create table ${sql.id(table)} (id int primary key, note text)`.execute(db);
  await insertRows(db, table, 1, rows);
}

async function insertRows(db: Db, table: string, from: number, to: number): Promise<void> {
  await sql`insert into ${sql.id(table)} select n, repeat('x', 40) from generate_series(${from}::int, ${to}::int) as n`.execute(
    db,
  );
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A data folder holding the run's migrated database (the tests here are of what comes after a first start). */
function migratedFolder(prefix: string): string {
  const folder = migratedPgliteFolder(prefix);
  folders.push(folder);
  return folder;
}

describe('maintainTables', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('vacuums and analyzes the tables autovacuum would, and leaves the others alone', async () => {
    const { db } = database;
    // 2,000 rows inserted, never vacuumed: past 1000 inserted and 50 changed.
    await createTable(db, 'many_inserts', 2000);
    // 100 rows, all updated since the last VACUUM: 100 dead > 50 + 0.2 × 100, 100 changed > 50 + 0.1 × 100.
    await createTable(db, 'all_updated', 100);
    // 1,000 rows and 200 more since: 200 changed > 150, 200 inserted < 1,200.
    await createTable(db, 'grown', 1000);
    // 10 rows, all updated: 10 dead < 52, 10 changed < 51.
    await createTable(db, 'few_updates', 10);
    for (const table of ['all_updated', 'grown', 'few_updates'])
      await sql`vacuum (analyze) ${sql.id(table)}`.execute(db);
    await sql`update all_updated set note = 'y'`.execute(db);
    await insertRows(db, 'grown', 1001, 1200);
    await sql`update few_updates set note = 'y'`.execute(db);

    const pass = await maintainTables({ db, status: database.status, countersComplete: true });

    expect(pass.finished).toBe(true);
    expect(await countsOf(db, 'many_inserts')).toEqual({ vacuum_count: 1, analyze_count: 1 });
    expect(await countsOf(db, 'all_updated')).toEqual({ vacuum_count: 2, analyze_count: 2 });
    expect(await countsOf(db, 'grown')).toEqual({ vacuum_count: 1, analyze_count: 2 });
    expect(await countsOf(db, 'few_updates')).toEqual({ vacuum_count: 1, analyze_count: 1 });
    const ours = pass.tables
      .filter((table) => table.schema === 'public')
      .map(({ table, vacuum, analyze }) => ({
        table,
        vacuum,
        analyze,
      }));
    expect(ours).toEqual(
      expect.arrayContaining([
        { table: 'many_inserts', vacuum: true, analyze: true },
        { table: 'all_updated', vacuum: true, analyze: true },
        { table: 'grown', vacuum: false, analyze: true },
      ]),
    );
    // Done, nothing is due any more: a second pass leaves every table alone.
    const again = await maintainTables({ db, status: database.status, countersComplete: true });
    expect(again.tables.filter((table) => table.schema === 'public')).toEqual([]);
  });
});

describe('startPgliteMaintenance', () => {
  let database: DatabaseHandle | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('catches up at start on tables written before it, whose counters PGlite forgot when it closed', async () => {
    const dataDir = path.join(migratedFolder('chainlog-maintenance-'), 'pgdata');
    const before = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    // Never vacuumed nor analyzed: reltuples -1.
    await createTable(before.db, 'never_vacuumed', 5000);
    // Loaded, then indexed (CREATE INDEX sets reltuples): a seed's tables.
    await createTable(before.db, 'indexed_after_load', 5000);
    await sql`create index on indexed_after_load (note)`.execute(before.db);
    // Vacuumed and analyzed, untouched since.
    await createTable(before.db, 'looked_after', 5000);
    await sql`vacuum (analyze) looked_after`.execute(before.db);
    await before.close();

    database = await openDatabase({ kind: 'pglite', dataDir }, { migrate: false });
    const { db } = database;
    const { rows } = await sql<{ n_ins_since_vacuum: number; n_live_tup: number }>`
      select n_ins_since_vacuum::int as n_ins_since_vacuum, n_live_tup::int as n_live_tup
      from pg_stat_user_tables where relname = 'never_vacuumed'`.execute(db);
    expect(rows).toEqual([{ n_ins_since_vacuum: 0, n_live_tup: 0 }]);

    const maintenance = startPgliteMaintenance({ db, status: database.status, intervalMs: 60_000 });
    try {
      // Both polled: one table's counts say nothing of the other's, whose ANALYZE may still be under way or its count
      // unpublished (PostgreSQL publishes them at most once a second). Read once, with PGlite in its worker thread the
      // second showed { vacuum_count: 1, analyze_count: 0 } in half the runs.
      await expect
        .poll(() => Promise.all([countsOf(db, 'indexed_after_load'), countsOf(db, 'never_vacuumed')]), {
          timeout: 20_000,
        })
        .toEqual([
          { vacuum_count: 1, analyze_count: 1 },
          { vacuum_count: 1, analyze_count: 1 },
        ]);
      expect(await countsOf(db, 'looked_after')).toEqual({ vacuum_count: 0, analyze_count: 0 });
    } finally {
      await maintenance.stop();
    }
  });

  it('looks again every interval, and once stopped runs no further statement', async () => {
    database = await openTestDatabase();
    const { db } = database;
    const maintenance = startPgliteMaintenance({ db, status: database.status, intervalMs: 50 });
    try {
      // Made due after the first turn: a later one takes it.
      await createTable(db, 'filled_later', 2000);
      await expect
        .poll(() => countsOf(db, 'filled_later'), { timeout: 20_000 })
        .toEqual({ vacuum_count: 1, analyze_count: 1 });
    } finally {
      await maintenance.stop();
    }
    // Stopped at once, before its first turn reached a statement.
    await createTable(db, 'filled_after_stop', 2000);
    const stopped = startPgliteMaintenance({ db, status: database.status, intervalMs: 50 });
    await stopped.stop();
    expect(await countsOf(db, 'filled_after_stop')).toEqual({ vacuum_count: 0, analyze_count: 0 });
  });

  it('logs a statement that fails, maintains the other tables, and tries it again on the next turn', async () => {
    database = await openTestDatabase();
    const { db } = database;
    await breakAnalyzeOf(db, 'analyze_fails', 2000);
    await createTable(db, 'healthy', 2000);
    const captured = captureLogs();
    const maintenance = startPgliteMaintenance({ db, status: database.status, intervalMs: 50 });
    const failures = () =>
      captured.logs.filter(
        (entry) =>
          entry.tag === 'maintenance' &&
          entry.type === 'warn' &&
          entry.message.includes('public.analyze_fails') &&
          entry.message.includes('the next turn tries again'),
      ).length;
    try {
      await expect.poll(failures, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      expect(await countsOf(db, 'healthy')).toEqual({ vacuum_count: 1, analyze_count: 1 });
      // Its VACUUM went through; its ANALYZE never did.
      expect(await countsOf(db, 'analyze_fails')).toMatchObject({ analyze_count: 0 });
      const { rows } = await sql<{ answer: number }>`select 1 as answer`.execute(db);
      expect(rows).toEqual([{ answer: 1 }]);
      expect(database.status.isUp()).toBe(true);
    } finally {
      await maintenance.stop();
      captured.stop();
    }
  });
});

/**
 * A table of `rows` rows whose ANALYZE fails: its index's expression, computed for the sampled rows, raises once the
 * rows are in (VACUUM does not compute it).
 */
async function breakAnalyzeOf(db: Db, table: string, rows: number): Promise<void> {
  await sql`create function maintenance_test_key(note text) returns text language sql immutable as $$ select note $$`.execute(
    db,
  );
  await createTable(db, table, rows);
  await sql`create index on ${sql.id(table)} (maintenance_test_key(note))`.execute(db);
  await sql`
    create or replace function maintenance_test_key(note text) returns text language plpgsql immutable as $$
    begin raise exception 'this expression fails on purpose'; end $$`.execute(db);
}

describe('the server on PGlite', () => {
  it('keeps serving, and stops when told, while a maintenance statement fails', async () => {
    const dataDir = migratedFolder('chainlog-maintenance-server-');
    const prepared = await openDatabase({ kind: 'pglite', dataDir: `${dataDir}/pgdata` });
    await breakAnalyzeOf(prepared.db, 'analyze_fails', 2000);
    await createTable(prepared.db, 'healthy', 2000);
    await prepared.close();

    const server = await startServerProcess({ CHAINLOG_DATA_DIR: dataDir, CHAINLOG_LOG_LEVEL: 'info' });
    try {
      await expect
        .poll(() => server.output(), { timeout: 30_000 })
        .toMatch(/ANALYZE of public\.analyze_fails failed; the next turn tries again/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'pglite' });
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }

    // What the catalog keeps across the restart: the healthy table was vacuumed (its pages all-visible) and analyzed.
    const after = await openDatabase({ kind: 'pglite', dataDir: `${dataDir}/pgdata` }, { migrate: false });
    try {
      const { rows } = await sql<{ relname: string; all_visible: boolean; analyzed: boolean }>`
        select c.relname, c.relallvisible = c.relpages and c.relpages > 0 as all_visible,
               exists (select from pg_statistic where starelid = c.oid) as analyzed
        from pg_class as c where c.relname in ('healthy', 'analyze_fails') order by c.relname`.execute(after.db);
      expect(rows).toEqual([
        { relname: 'analyze_fails', all_visible: true, analyzed: false },
        { relname: 'healthy', all_visible: true, analyzed: true },
      ]);
    } finally {
      await after.close();
    }
  }, 90_000);
});
