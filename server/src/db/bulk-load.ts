import { sql } from 'kysely';
import type { Db } from './client.js';

/** Runs one named part of a long job; the caller may time it. */
export type Step = <T>(name: string, work: () => Promise<T>) => Promise<T>;

export const untimed: Step = (_name, work) => work();

export interface RemovedIndex {
  table: string;
  name: string;
  definition: string;
}

export interface RemovedForeignKey {
  table: string;
  name: string;
  definition: string;
}

export interface RemovedTrigger {
  table: string;
  name: string;
}

/** What removeForBulkLoad took away, to be put back: definitions as the catalog gave them. */
export interface Removed {
  indexes: RemovedIndex[];
  foreignKeys: RemovedForeignKey[];
  triggers: RemovedTrigger[];
}

const NOTHING_REMOVED: Removed = { indexes: [], foreignKeys: [], triggers: [] };
// pg_trigger.tgtype's bit for a trigger an insert fires (PostgreSQL's catalog/pg_trigger.h).
const TRIGGER_TYPE_INSERT = 4;
const TRIGGER_TYPE_BEFORE = 2;

export interface RemoveForBulkLoadOptions {
  /**
   * A setting (`chainlog.…`) that the loading transactions set to switch triggers off for their own rows: triggers
   * whose definition reads it stay on, for the rows others write meanwhile.
   */
  triggersSwitchedOffBy?: string;
}

/**
 * Strips `tables` of what makes a row-by-row insert slow when the first holds fewer rows than are about to be added:
 * secondary indexes (those no constraint owns; building an index from the finished table is several times faster
 * than inserting a million entries into each of ten), foreign keys (checked again in one join when they are added
 * back, instead of one lookup and row lock per inserted row) and enabled user triggers that an insert fires (a
 * notification per chain event, say), but those `options.triggersSwitchedOffBy` switches off. Definitions are read
 * back from the catalog, so each comes back exactly as its migration made it (see restoreIndex, restoreForeignKey,
 * enableTriggers). Returns what it removed: nothing when the table is not small.
 */
export async function removeForBulkLoad(
  db: Db,
  tables: readonly [string, ...string[]],
  adding: number,
  options: RemoveForBulkLoadOptions = {},
): Promise<Removed> {
  const { rows: present } = await sql<{ rows: number }>`
    select count(*)::int as rows from (select 1 from ${sql.table(tables[0])} limit ${adding}::int) as sample`.execute(
    db,
  );
  if ((present[0]?.rows ?? 0) >= adding) return NOTHING_REMOVED;
  const inSchema = sql`relnamespace = current_schema()::regnamespace and relname in (${sql.join(tables)})`;
  const { rows: indexes } = await sql<RemovedIndex>`
    select table_class.relname as table, index_class.relname as name, pg_get_indexdef(index_class.oid) as definition
    from pg_index
    join pg_class as index_class on index_class.oid = pg_index.indexrelid
    join pg_class as table_class on table_class.oid = pg_index.indrelid
    where pg_index.indrelid in (select oid from pg_class where ${inSchema})
      and not exists (select 1 from pg_constraint where pg_constraint.conindid = pg_index.indexrelid)`.execute(db);
  const { rows: foreignKeys } = await sql<RemovedForeignKey>`
    select table_class.relname as table, conname as name, pg_get_constraintdef(pg_constraint.oid) as definition
    from pg_constraint join pg_class as table_class on table_class.oid = pg_constraint.conrelid
    where contype = 'f' and conrelid in (select oid from pg_class where ${inSchema})`.execute(db);
  const setting = options.triggersSwitchedOffBy;
  const notSwitchedOff =
    setting === undefined ? sql`true` : sql`strpos(pg_get_triggerdef(pg_trigger.oid), ${setting}) = 0`;
  // Update, delete and truncate triggers stay on: the load fires none, and another session's writes need them. So do
  // before-insert triggers, which fill in a row (inference_log's call_id): the load's rows need none, another's may.
  const { rows: triggers } = await sql<RemovedTrigger>`
    select table_class.relname as table, tgname as name
    from pg_trigger join pg_class as table_class on table_class.oid = pg_trigger.tgrelid
    where not tgisinternal and tgenabled = 'O' and tgrelid in (select oid from pg_class where ${inSchema})
      and tgtype::int & ${TRIGGER_TYPE_INSERT} <> 0 and tgtype::int & ${TRIGGER_TYPE_BEFORE} = 0
      and ${notSwitchedOff}`.execute(db);
  for (const key of foreignKeys) {
    await sql`alter table ${sql.table(key.table)} drop constraint ${sql.id(key.name)}`.execute(db);
  }
  for (const index of indexes) await sql`drop index ${sql.id(index.name)}`.execute(db);
  for (const trigger of triggers) {
    await sql`alter table ${sql.table(trigger.table)} disable trigger ${sql.id(trigger.name)}`.execute(db);
  }
  return { indexes, foreignKeys, triggers };
}

/** Builds a removed index again, unless it is there (a second attempt at putting things back). */
export async function restoreIndex(db: Db, index: RemovedIndex): Promise<void> {
  const { rows } = await sql<{ present: boolean }>`
    select to_regclass(quote_ident(current_schema()) || '.' || quote_ident(${index.name})) is not null as present`.execute(
    db,
  );
  // The catalog's own text of definitions the migrations made: no outside input reaches it.
  if (!rows[0]?.present) await sql.raw(index.definition).execute(db);
}

/** Adds a removed foreign key again (checking every row in one join), unless it is there. */
export async function restoreForeignKey(db: Db, key: RemovedForeignKey): Promise<void> {
  const { rows } = await sql<{ present: boolean }>`
    select exists (select 1 from pg_constraint where conname = ${key.name}
                   and conrelid = (quote_ident(current_schema()) || '.' || quote_ident(${key.table}))::regclass) as present`.execute(
    db,
  );
  if (rows[0]?.present) return;
  await sql`alter table ${sql.table(key.table)} add constraint ${sql.id(key.name)} ${sql.raw(key.definition)}`.execute(
    db,
  );
}

export async function enableTriggers(db: Db, triggers: readonly RemovedTrigger[]): Promise<void> {
  for (const trigger of triggers) {
    await sql`alter table ${sql.table(trigger.table)} enable trigger ${sql.id(trigger.name)}`.execute(db);
  }
}
