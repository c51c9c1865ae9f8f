import { performance } from 'node:perf_hooks';
import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import {
  type TableActivity,
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

export interface TableMaintained extends MaintenanceDue {
  schema: string;
  table: string;
  /** How long its statements held the connection, in ms. */
  ms: number;
  /** What the statement failed with (the next turn tries again). */
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
 * connection while it runs, so VACUUM and ANALYZE of a table go as two statements: what waits between them gets its
 * turn. A statement that fails is logged and the pass goes on to the next table; one that finds the database
 * unreachable ends the pass (thrown, after DatabaseStatus heard of it).
 */
export async function maintainTables(options: MaintenancePassOptions): Promise<MaintenancePass> {
  const { db, status, stopped = () => false } = options;
  await flushActivityCounters(db);
  const tablesDue = (await readTableActivity(db))
    .map((activity) => ({ activity, due: maintenanceDue(activity, options) }))
    .filter(({ due }) => due.vacuum || due.analyze);
  const maintained: TableMaintained[] = [];
  for (const { activity, due } of tablesDue) {
    if (stopped()) return { tables: maintained, finished: false };
    const started = performance.now();
    const done = { schema: activity.schema, table: activity.table, ...due };
    try {
      if (due.vacuum) await vacuumTable(db, activity, false);
      if (due.analyze && !(due.vacuum && stopped())) await analyzeTable(db, activity);
      const ms = performance.now() - started;
      maintained.push({ ...done, ms });
      const line = `${statements(due)} of ${qualifiedName(activity)} took ${formatMs(ms)} (${due.reason})`;
      if (ms >= NOTICEABLE_MS) maintenanceLog.info(line);
      else maintenanceLog.debug(line);
    } catch (error) {
      if (status.reportFailure(error)) throw error;
      maintained.push({ ...done, ms: performance.now() - started, error });
      maintenanceLog.warn(`${statements(due)} of ${qualifiedName(activity)} failed; the next turn tries again`, error);
    }
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

function statements(due: MaintenanceDue): string {
  if (due.vacuum && due.analyze) return 'VACUUM and ANALYZE';
  return due.vacuum ? 'VACUUM' : 'ANALYZE';
}

function qualifiedName(activity: TableActivity): string {
  return `${activity.schema}.${activity.table}`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
