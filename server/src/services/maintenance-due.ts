import type { TableActivity } from '../db/queries/table-maintenance.js';

/**
 * autovacuum's settings in PostgreSQL 17, at their defaults (PGlite's `pg_settings` shows the same), under the
 * names a table's reloptions override them with.
 */
export const AUTOVACUUM_DEFAULTS = {
  autovacuum_vacuum_threshold: 50,
  autovacuum_vacuum_scale_factor: 0.2,
  autovacuum_vacuum_insert_threshold: 1000,
  autovacuum_vacuum_insert_scale_factor: 0.2,
  autovacuum_analyze_threshold: 50,
  autovacuum_analyze_scale_factor: 0.1,
  autovacuum_freeze_max_age: 200_000_000,
  autovacuum_multixact_freeze_max_age: 400_000_000,
} as const;

type Setting = keyof typeof AUTOVACUUM_DEFAULTS;

export interface MaintenanceDue {
  vacuum: boolean;
  analyze: boolean;
  /** Why, in words for the server log (empty when nothing is due). */
  reason: string;
}

const NOTHING_DUE: MaintenanceDue = { vacuum: false, analyze: false, reason: '' };

/**
 * Whether autovacuum would VACUUM and ANALYZE the table now (PostgreSQL 17's relation_needs_vacanalyze): VACUUM when
 * dead rows pass 50 + 0.2 × reltuples or rows inserted since the last VACUUM pass 1000 + 0.2 × reltuples, or when its
 * oldest transaction id nears wraparound (even with autovacuum_enabled=false); ANALYZE when rows changed since the
 * last ANALYZE pass 50 + 0.1 × reltuples (never pg_statistic itself). A table's reloptions override the defaults.
 *
 * The counters are this process's: PGlite does not keep them when it closes (its pg_stat folder is empty after a
 * restart), so what happened before the start is read from the catalog, which it does keep. The rows on pages that
 * were not all-visible at the last VACUUM or ANALYZE, or were added since, count as inserted since the last VACUUM
 * (no fewer were); the rows on pages added since the last ANALYZE count as changed since, and every row when the
 * table never had statistics; rows per page as reltuples / relpages say. Until `countersComplete` (the counters may
 * lack what came before this start), a table of which the catalog knows no rows per page (never vacuumed nor
 * analyzed, or empty then) but which has pages is due for both: no one knows how many rows it holds.
 */
export function maintenanceDue(activity: TableActivity, options: { countersComplete: boolean }): MaintenanceDue {
  const reloptions = parseOptions(activity.reloptions);
  const setting = (name: Setting) => reloptions.get(name) ?? AUTOVACUUM_DEFAULTS[name];
  const wraparound =
    activity.xid_age > setting('autovacuum_freeze_max_age') ||
    activity.multixact_age > setting('autovacuum_multixact_freeze_max_age');
  if (wraparound) return { vacuum: true, analyze: false, reason: 'to prevent transaction id wraparound' };
  if (reloptions.get('autovacuum_enabled') === 0) return NOTHING_DUE;
  const reltuples = Math.max(activity.reltuples, 0);
  const rowsPerPage =
    activity.reltuples >= 0 && activity.relpages > 0 ? activity.reltuples / activity.relpages : undefined;
  const analyzable = !(activity.schema === 'pg_catalog' && activity.table === 'pg_statistic');
  if (rowsPerPage === undefined && activity.pages > 0 && !options.countersComplete) {
    return { vacuum: true, analyze: analyzable, reason: 'rows from before this start, never vacuumed nor analyzed' };
  }
  const pagesSince = (pages: number) => Math.max(activity.pages - pages, 0) * (rowsPerPage ?? 0);
  const inserted = Math.max(activity.n_ins_since_vacuum, pagesSince(activity.relallvisible));
  const changed = Math.max(
    activity.n_mod_since_analyze,
    activity.has_statistics ? pagesSince(activity.relpages) : pagesSince(0),
  );
  const vacuumThreshold =
    setting('autovacuum_vacuum_threshold') + setting('autovacuum_vacuum_scale_factor') * reltuples;
  const insertThreshold =
    setting('autovacuum_vacuum_insert_threshold') + setting('autovacuum_vacuum_insert_scale_factor') * reltuples;
  const analyzeThreshold =
    setting('autovacuum_analyze_threshold') + setting('autovacuum_analyze_scale_factor') * reltuples;
  const reasons: string[] = [];
  if (activity.n_dead_tup > vacuumThreshold)
    reasons.push(`${count(activity.n_dead_tup)} dead rows > ${count(vacuumThreshold)}`);
  // A negative insert threshold turns insert-driven VACUUM off (as autovacuum reads it).
  if (setting('autovacuum_vacuum_insert_threshold') >= 0 && inserted > insertThreshold)
    reasons.push(`${count(inserted)} rows inserted since VACUUM > ${count(insertThreshold)}`);
  const vacuum = reasons.length > 0;
  const analyze = analyzable && changed > analyzeThreshold;
  if (analyze) reasons.push(`${count(changed)} rows changed since ANALYZE > ${count(analyzeThreshold)}`);
  return { vacuum, analyze, reason: reasons.join(', ') };
}

/** The autovacuum settings among a table's reloptions, as numbers (booleans as 1 and 0); others are left out. */
function parseOptions(reloptions: readonly string[]): Map<Setting | 'autovacuum_enabled', number> {
  const options = new Map<Setting | 'autovacuum_enabled', number>();
  for (const option of reloptions) {
    const equals = option.indexOf('=');
    const name = option.slice(0, equals);
    const value = option.slice(equals + 1).toLowerCase();
    if (name === 'autovacuum_enabled') options.set(name, isFalse(value) ? 0 : 1);
    else if (isSetting(name) && value !== '' && Number.isFinite(Number(value))) options.set(name, Number(value));
  }
  return options;
}

/** PostgreSQL's parse_bool: off, 0, or a prefix of false or no. */
function isFalse(value: string): boolean {
  return value === 'off' || value === '0' || (value !== '' && ('false'.startsWith(value) || 'no'.startsWith(value)));
}

function isSetting(name: string): name is Setting {
  return Object.hasOwn(AUTOVACUUM_DEFAULTS, name);
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
