import { performance } from 'node:perf_hooks';
import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import {
  analyzeTable,
  flushActivityCounters,
  readTableActivity,
  vacuumTable,
} from '../db/queries/table-maintenance.js';
import { log } from '../log.js';
import { type MaintenanceDue, maintenanceDue } from './maintenance-due.js';

const maintenanceLog = log.withTag('maintenance');

/** How often a PGlite server looks for tables due for VACUUM or ANALYZE: autovacuum_naptime's default. */
export const PGLITE_MAINTENANCE_INTERVAL_MS = 60_000;
/** A table's maintenance that held the connection this long is worth an operator's notice (the rest: debug). */
const NOTICEABLE_MS = 1_000;

/** A table that was due: how long each of its statements held the connection (ms), when it ran. */
export interface TableMaintained extends MaintenanceDue {
  schema: string;
  table: string;
  vacuumMs?: number;
  analyzeMs?: number;
  /** What a statement failed with (the next turn tries again). */
  error?: unknown;
}

export interface MaintenancePassOptions {
  db: Db;
  status: DatabaseStatus;
  /** Whether the counters have seen everything since each table was last vacuumed (see maintenanceDue). */
  countersComplete: boolean;
  /** Asked before each statement: once true, the pass ends after the statement under way. */
  stopped?: () => boolean;
}

export interface MaintenancePass {
  tables: TableMaintained[];
  /** Whether it went through every table due (it was not stopped). */
  finished: boolean;
}

/**
 * One turn of autovacuum's work, for a database that has no autovacuum (PGlite): every table due (maintenanceDue)
 * is vacuumed, then analyzed, one statement at a time, smallest tables first. Each statement holds PGlite's one
 * connection while it runs, so VACUUM and ANALYZE of a table go as two statements rather than VACUUM (ANALYZE): what
 * waits between them gets its turn (on a never-vacuumed log of 1,000,000 rows, 2.4 s at most against 3.8 s). A
 * statement that fails is logged and the pass goes on to the next table; one that finds the database unreachable
 * ends the pass (thrown, after DatabaseStatus heard of it).
 */
export async function maintainTables(options: MaintenancePassOptions): Promise<MaintenancePass> {
  const { db, status, stopped = () => false } = options;
  await flushActivityCounters(db);
  const tablesDue = (await readTableActivity(db))
    .map((activity) => ({ activity, due: maintenanceDue(activity, options) }))
    .filter(({ due }) => due.vacuum || due.analyze);
  const maintained: TableMaintained[] = [];
  for (const { activity, due } of tablesDue) {
    const table: TableMaintained = { schema: activity.schema, table: activity.table, ...due };
    const statements = [
      ...(due.vacuum ? [{ name: 'VACUUM', key: 'vacuumMs', run: () => vacuumTable(db, activity) } as const] : []),
      ...(due.analyze ? [{ name: 'ANALYZE', key: 'analyzeMs', run: () => analyzeTable(db, activity) } as const] : []),
    ];
    for (const statement of statements) {
      if (stopped()) {
        if (table.vacuumMs !== undefined) maintained.push(table);
        return { tables: maintained, finished: false };
      }
      const started = performance.now();
      try {
        await statement.run();
      } catch (error) {
        if (status.reportFailure(error)) throw error;
        table.error = error;
        maintenanceLog.warn(`${statement.name} of ${qualifiedName(activity)} failed; the next turn tries again`, error);
        break;
      }
      table[statement.key] = performance.now() - started;
    }
    maintained.push(table);
    if (table.error === undefined) logMaintained(table);
  }
  return { tables: maintained, finished: true };
}

export interface PgliteMaintenance {
  /** Stops the schedule; resolves once the statement under way (if one is) ends. */
  stop(): Promise<void>;
}

/**
 * Runs maintainTables now and every `intervalMs`, in the background: the database maintenance PostgreSQL's
 * autovacuum would give. Only for PGlite, which runs no autovacuum; a PostgreSQL server does it itself. A turn that
 * fails is logged and the next one tries again; the timer keeps no process alive.
 */
export function startPgliteMaintenance(options: {
  db: Db;
  status: DatabaseStatus;
  intervalMs?: number;
}): PgliteMaintenance {
  let running: Promise<void> | undefined;
  let stopped = false;
  // PGlite starts with empty counters: until a turn has gone through every table without a failure, tables the
  // catalog knows too little of are taken as due.
  let countersComplete = false;
  const run = () => {
    if (running || stopped || !options.status.isUp()) return;
    running = maintainTables({ db: options.db, status: options.status, countersComplete, stopped: () => stopped })
      .then((pass) => {
        if (pass.finished && pass.tables.every((table) => table.error === undefined)) countersComplete = true;
      })
      .catch((error: unknown) => {
        if (!options.status.reportFailure(error)) maintenanceLog.warn('table maintenance failed', error);
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, options.intervalMs ?? PGLITE_MAINTENANCE_INTERVAL_MS);
  timer.unref();
  run();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

function logMaintained(table: TableMaintained): void {
  const took = [
    ...(table.vacuumMs === undefined ? [] : [`VACUUM ${formatMs(table.vacuumMs)}`]),
    ...(table.analyzeMs === undefined ? [] : [`ANALYZE ${formatMs(table.analyzeMs)}`]),
  ];
  const line = `${took.join(', ')}: ${qualifiedName(table)} (${table.reason})`;
  if (Math.max(table.vacuumMs ?? 0, table.analyzeMs ?? 0) >= NOTICEABLE_MS) maintenanceLog.info(line);
  else maintenanceLog.debug(line);
}

function qualifiedName(table: { schema: string; table: string }): string {
  return `${table.schema}.${table.table}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
