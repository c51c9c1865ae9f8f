import { describe, expect, it } from 'vitest';
import type { TableActivity } from '../db/queries/table-maintenance.js';
import { maintenanceDue } from './maintenance-due.js';

/** A table of 1,000 rows on 10 pages, vacuumed and analyzed, nothing changed since. */
const QUIET: TableActivity = {
  schema: 'public',
  table: 'inference_log',
  n_dead_tup: 0,
  n_ins_since_vacuum: 0,
  n_mod_since_analyze: 0,
  n_live_tup: 1000,
  reltuples: 1000,
  relpages: 10,
  relallvisible: 10,
  pages: 10,
  has_statistics: true,
  xid_age: 1000,
  multixact_age: 0,
  reloptions: [],
};

const due = (changes: Partial<TableActivity>, countersComplete = true) => {
  const { vacuum, analyze } = maintenanceDue({ ...QUIET, ...changes }, { countersComplete });
  return { vacuum, analyze };
};

describe('maintenanceDue, with the counters of this process', () => {
  it('finds nothing due in a table nothing changed', () => {
    expect(maintenanceDue(QUIET, { countersComplete: true })).toEqual({ vacuum: false, analyze: false, reason: '' });
  });

  it('vacuums past 50 + 0.2 × reltuples dead rows, as autovacuum does', () => {
    expect(due({ n_dead_tup: 250 })).toEqual({ vacuum: false, analyze: false });
    expect(due({ n_dead_tup: 251 })).toEqual({ vacuum: true, analyze: false });
  });

  it('vacuums past 1000 + 0.2 × reltuples rows inserted since the last VACUUM', () => {
    expect(due({ n_ins_since_vacuum: 1200 }).vacuum).toBe(false);
    expect(due({ n_ins_since_vacuum: 1201 }).vacuum).toBe(true);
  });

  it('analyzes past 50 + 0.1 × reltuples rows changed since the last ANALYZE', () => {
    expect(due({ n_mod_since_analyze: 150 })).toEqual({ vacuum: false, analyze: false });
    expect(due({ n_mod_since_analyze: 151 })).toEqual({ vacuum: false, analyze: true });
  });

  it('takes a table never vacuumed nor analyzed (reltuples -1) as empty, as autovacuum does', () => {
    const created = { reltuples: -1, relpages: 0, relallvisible: 0, pages: 1, has_statistics: false };
    expect(due({ ...created, n_live_tup: 40, n_ins_since_vacuum: 40, n_mod_since_analyze: 40 })).toEqual({
      vacuum: false,
      analyze: false,
    });
    expect(due({ ...created, n_live_tup: 60, n_ins_since_vacuum: 60, n_mod_since_analyze: 60 })).toEqual({
      vacuum: false,
      analyze: true,
    });
  });

  it('follows the autovacuum settings in a table’s reloptions', () => {
    expect(due({ n_dead_tup: 5000, reloptions: ['autovacuum_enabled=false'] })).toEqual({
      vacuum: false,
      analyze: false,
    });
    expect(due({ n_dead_tup: 5000, reloptions: ['fillfactor=70', 'autovacuum_enabled=off'] }).vacuum).toBe(false);
    expect(due({ n_dead_tup: 60, reloptions: ['autovacuum_vacuum_scale_factor=0'] }).vacuum).toBe(true);
    expect(due({ n_ins_since_vacuum: 5000, reloptions: ['autovacuum_vacuum_insert_threshold=-1'] }).vacuum).toBe(false);
    expect(due({ n_mod_since_analyze: 151, reloptions: ['autovacuum_analyze_threshold=500'] }).analyze).toBe(false);
  });

  it('vacuums a table whose oldest transaction id nears wraparound, even with autovacuum off', () => {
    expect(due({ xid_age: 200_000_001, reloptions: ['autovacuum_enabled=false'] })).toEqual({
      vacuum: true,
      analyze: false,
    });
    expect(due({ multixact_age: 400_000_001 }).vacuum).toBe(true);
  });

  it('never analyzes pg_statistic', () => {
    expect(due({ schema: 'pg_catalog', table: 'pg_statistic', n_mod_since_analyze: 5000 }).analyze).toBe(false);
  });
});

describe('maintenanceDue after a restart, which PGlite does not keep the counters through', () => {
  const restarted = { n_live_tup: 0, n_dead_tup: 0, n_ins_since_vacuum: 0, n_mod_since_analyze: 0 };

  it('counts the rows of pages the visibility map does not cover as inserted since the last VACUUM', () => {
    // A seeded log: reltuples from CREATE INDEX, never vacuumed, never analyzed.
    const seeded = { reltuples: 1_000_000, relpages: 100_000, relallvisible: 0, pages: 100_000, has_statistics: false };
    expect(due({ ...restarted, ...seeded }, false)).toEqual({ vacuum: true, analyze: true });
    // 12,000 pages (120,000 rows) not all-visible against a threshold of 1000 + 0.2 × 1,000,000.
    expect(due({ ...restarted, ...seeded, relallvisible: 88_000, has_statistics: true }, false)).toEqual({
      vacuum: false,
      analyze: false,
    });
    expect(due({ ...restarted, ...seeded, relallvisible: 79_000, has_statistics: true }, false).vacuum).toBe(true);
  });

  it('counts the rows of pages added since the last ANALYZE as changed since', () => {
    const analyzed = { reltuples: 1_000_000, relpages: 100_000, relallvisible: 100_000, has_statistics: true };
    expect(due({ ...restarted, ...analyzed, pages: 110_000 }, false)).toEqual({ vacuum: false, analyze: false });
    expect(due({ ...restarted, ...analyzed, pages: 110_100 }, false)).toEqual({ vacuum: false, analyze: true });
  });

  it('vacuums and analyzes, until the counters are complete, a table of which the catalog knows no rows per page', () => {
    const unknown = { ...restarted, reltuples: -1, relpages: 0, relallvisible: 0, has_statistics: false };
    expect(due({ ...unknown, pages: 1 }, false)).toEqual({ vacuum: true, analyze: true });
    // Empty at its last VACUUM (reltuples 0 on 0 pages), filled since.
    expect(due({ ...unknown, reltuples: 0, pages: 40 }, false)).toEqual({ vacuum: true, analyze: true });
    expect(due({ ...unknown, pages: 0 }, false)).toEqual({ vacuum: false, analyze: false });
    // Once the counters have seen everything since the table was made, they alone say.
    expect(due({ ...unknown, pages: 40, n_live_tup: 900, n_ins_since_vacuum: 900, n_mod_since_analyze: 40 })).toEqual({
      vacuum: false,
      analyze: false,
    });
  });
});
