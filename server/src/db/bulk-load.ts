import { sql } from 'kysely';
import type { Db } from './client.js';

/** Runs one named part of a long job; the caller may time it. */
export type Step = <T>(name: string, work: () => Promise<T>) => Promise<T>;

export const untimed: Step = (_name, work) => work();

interface Removed {
  indexes: { name: string; definition: string }[];
  foreignKeys: { table: string; name: string; definition: string }[];
  triggers: { table: string; name: string }[];
}

/**
 * Runs `write` on `tables` stripped of what makes a row-by-row insert slow, and puts it all back after, when the first
 * table holds fewer rows than are about to be added: secondary indexes (those no constraint owns; building an index
 * from the finished table is several times faster than inserting a million entries into each of ten), foreign keys
 * (checked again in one join when they are added back, instead of one lookup and row lock per inserted row) and
 * enabled user triggers (a notification per chain event, say). Definitions are read back from the catalog, so each
 * comes back exactly as its migration made it. In the caller's transaction: nobody sees the tables without them, but
 * the tables are locked until it commits.
 */
export async function withBulkLoadIfSmall<T>(
  db: Db,
  tables: readonly [string, ...string[]],
  adding: number,
  step: Step,
  write: () => Promise<T>,
): Promise<T> {
  const { rows: present } = await sql<{ rows: number }>`
    select count(*)::int as rows from (select 1 from ${sql.table(tables[0])} limit ${adding}::int) as sample`.execute(
    db,
  );
  if ((present[0]?.rows ?? 0) >= adding) return write();
  const removed = await step('drop indexes, foreign keys and triggers', () => remove(db, tables));
  const result = await write();
  // The catalog's own text of definitions the migrations made: no outside input reaches it.
  for (const index of removed.indexes)
    await step(`create index ${index.name}`, () => sql.raw(index.definition).execute(db));
  await step('add foreign keys back', async () => {
    for (const key of removed.foreignKeys) {
      await sql`alter table ${sql.table(key.table)} add constraint ${sql.id(key.name)} ${sql.raw(key.definition)}`.execute(
        db,
      );
    }
  });
  for (const trigger of removed.triggers) {
    await sql`alter table ${sql.table(trigger.table)} enable trigger ${sql.id(trigger.name)}`.execute(db);
  }
  return result;
}

async function remove(db: Db, tables: readonly string[]): Promise<Removed> {
  const inSchema = sql`relnamespace = current_schema()::regnamespace and relname in (${sql.join(tables)})`;
  const { rows: indexes } = await sql<{ name: string; definition: string }>`
    select index_class.relname as name, pg_get_indexdef(index_class.oid) as definition
    from pg_index
    join pg_class as index_class on index_class.oid = pg_index.indexrelid
    where pg_index.indrelid in (select oid from pg_class where ${inSchema})
      and not exists (select 1 from pg_constraint where pg_constraint.conindid = pg_index.indexrelid)`.execute(db);
  const { rows: foreignKeys } = await sql<{ table: string; name: string; definition: string }>`
    select table_class.relname as table, conname as name, pg_get_constraintdef(pg_constraint.oid) as definition
    from pg_constraint join pg_class as table_class on table_class.oid = pg_constraint.conrelid
    where contype = 'f' and conrelid in (select oid from pg_class where ${inSchema})`.execute(db);
  const { rows: triggers } = await sql<{ table: string; name: string }>`
    select table_class.relname as table, tgname as name
    from pg_trigger join pg_class as table_class on table_class.oid = pg_trigger.tgrelid
    where not tgisinternal and tgenabled = 'O' and tgrelid in (select oid from pg_class where ${inSchema})`.execute(db);
  for (const key of foreignKeys) {
    await sql`alter table ${sql.table(key.table)} drop constraint ${sql.id(key.name)}`.execute(db);
  }
  for (const index of indexes) await sql`drop index ${sql.id(index.name)}`.execute(db);
  for (const trigger of triggers) {
    await sql`alter table ${sql.table(trigger.table)} disable trigger ${sql.id(trigger.name)}`.execute(db);
  }
  return { indexes, foreignKeys, triggers };
}
