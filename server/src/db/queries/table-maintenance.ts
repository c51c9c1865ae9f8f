import { sql } from 'kysely';
import type { Db } from '../client.js';

/**
 * A table as autovacuum sees it: its activity counters (pg_stat_all_tables), and what the catalog kept of its last
 * VACUUM or ANALYZE (pg_class), under their catalog names.
 */
export interface TableActivity {
  schema: string;
  table: string;
  /** Dead row versions. */
  n_dead_tup: number;
  /** Rows inserted since the last VACUUM. */
  n_ins_since_vacuum: number;
  /** Rows inserted, updated or deleted since the last ANALYZE. */
  n_mod_since_analyze: number;
  /** Live rows, as the counters know them. */
  n_live_tup: number;
  /** Rows at the last VACUUM, ANALYZE or CREATE INDEX; -1 if none ever ran. */
  reltuples: number;
  /** The table's pages at that time. */
  relpages: number;
  /** Of those, the pages its visibility map said were all-visible. */
  relallvisible: number;
  /** The table's pages now. */
  pages: number;
  /** Whether ANALYZE ever stored column statistics of it (pg_statistic). */
  has_statistics: boolean;
  /** age(relfrozenxid) and mxid_age(relminmxid): how near it is to a VACUUM forced against wraparound. */
  xid_age: number;
  multixact_age: number;
  /** pg_class.reloptions ("autovacuum_enabled=false", …), empty when none. */
  reloptions: string[];
}

/**
 * Makes the statistics this process gathered so far visible to the next statement: PostgreSQL flushes them when a
 * session goes idle, at most once a second, so the last writes could otherwise still be pending.
 */
export async function flushActivityCounters(db: Db): Promise<void> {
  await sql`select pg_stat_force_next_flush()`.execute(db);
}

/**
 * Every table and materialized view autovacuum would look after (system catalogs included; not TOAST tables, which
 * VACUUM of their table covers, nor temporary tables, nor partitioned parents, which hold no rows).
 */
export async function readTableActivity(db: Db): Promise<TableActivity[]> {
  const { rows } = await sql<TableActivity>`
    select n.nspname as schema,
           c.relname as table,
           s.n_dead_tup::float8 as n_dead_tup,
           s.n_ins_since_vacuum::float8 as n_ins_since_vacuum,
           s.n_mod_since_analyze::float8 as n_mod_since_analyze,
           s.n_live_tup::float8 as n_live_tup,
           c.reltuples::float8 as reltuples,
           c.relpages::float8 as relpages,
           c.relallvisible::float8 as relallvisible,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 as pages,
           exists (select from pg_statistic where starelid = c.oid) as has_statistics,
           age(c.relfrozenxid)::float8 as xid_age,
           mxid_age(c.relminmxid)::float8 as multixact_age,
           coalesce(c.reloptions, '{}') as reloptions
    from pg_stat_all_tables as s
    join pg_class as c on c.oid = s.relid
    join pg_namespace as n on n.oid = c.relnamespace
    where c.relkind in ('r', 'm') and c.relpersistence <> 't' and n.nspname <> 'pg_toast'
    order by pages, schema, c.relname`.execute(db);
  return rows;
}

/** VACUUM of one table (its TOAST table too), with PostgreSQL's defaults (those of autovacuum but its cost delay). */
export async function vacuumTable(db: Db, table: { schema: string; table: string }): Promise<void> {
  await sql`vacuum ${sql.id(table.schema, table.table)}`.execute(db);
}

export async function analyzeTable(db: Db, table: { schema: string; table: string }): Promise<void> {
  await sql`analyze ${sql.id(table.schema, table.table)}`.execute(db);
}
