import { sql } from 'kysely';
import { enableTriggers, type Removed, restoreForeignKey, restoreIndex } from './bulk-load.js';
import type { Db } from './client.js';
import { lockTaskStats, rollUpTaskStatsIn, TASK_STATS_STALE_SETTING } from './queries/task-stats-rollup.js';

/**
 * The schema the seed plans in (its seed_* tables, unlogged, and what it removed for a bulk load): `<schema>_seed`,
 * one per schema of the app. It exists only while a seed runs: one that finds it at its start knows a seed did not
 * finish there (see undoUnfinishedSeed). It names the schema it belongs to (seed_owner), so a schema of that name
 * made by anyone else is never taken for it.
 */
export function seedStagingSchemaFor(appSchema: string): string {
  return `${appSchema}_seed`;
}

/** The staging schema of the schema the connection works in. */
export async function seedStagingSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the seed found no schema to write into: the search_path names none that exists');
  return seedStagingSchemaFor(schema);
}

/**
 * Settings of each of the seed's transactions: the staging schema last on the search_path (its seed_* tables are
 * named without it), memory for the sorts and index builds, no wait for the WAL flush at commit (a crash loses a seed
 * that is undone anyway), no JIT (row estimates of generate_series make the statements look huge: compiling them took
 * seconds, more than it saved), and the task_stats days marked by the seed itself (see markSeededDaysStale) instead
 * of a trigger call per row.
 */
export async function prepareSeedTransaction(db: Db, staging: string, parallelIndexBuilds: boolean): Promise<void> {
  await sql`
    select set_config('search_path', current_setting('search_path') || ', ' || quote_ident(${staging}), true),
           set_config('work_mem', '256MB', true), set_config('maintenance_work_mem', '1GB', true),
           set_config('synchronous_commit', 'off', true), set_config('jit', 'off', true),
           set_config(${TASK_STATS_STALE_SETTING}, 'off', true),
           set_config('max_parallel_maintenance_workers', ${parallelIndexBuilds ? '2' : '0'}, true)`.execute(db);
}

// One key per staging schema: seeds of different schemas of one database run side by side.
const seedLockKey = (staging: string) => sql`hashtextextended('chainlog db:seed ' || ${staging}, 0)`;

/**
 * Makes this seed the only one of its schema: for the transaction (atomic seeds) or, on a lane's connection, until
 * unlockSeed. Throws when another holds it, rather than waiting behind a seed that may take minutes.
 */
export async function lockSeed(db: Db, staging: string, forTransaction: boolean): Promise<void> {
  const { rows } = forTransaction
    ? await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${seedLockKey(staging)}) as locked`.execute(db)
    : await sql<{ locked: boolean }>`select pg_try_advisory_lock(${seedLockKey(staging)}) as locked`.execute(db);
  if (!rows[0]?.locked) throw new Error(`another seed is writing into the schema of ${staging} right now`);
}

export async function unlockSeed(db: Db, staging: string): Promise<void> {
  await sql`select pg_advisory_unlock(${seedLockKey(staging)})`.execute(db);
}

/**
 * Creates the staging schema, with the schema it belongs to and the table that remembers what a bulk load removed
 * until it is put back.
 */
export async function createStaging(db: Db, staging: string): Promise<void> {
  await sql`create schema ${sql.id(staging)}`.execute(db);
  await sql`create unlogged table ${sql.id(staging, 'seed_owner')} as select current_schema()::text as app_schema`.execute(
    db,
  );
  await sql`create unlogged table ${sql.id(staging, 'seed_removed')} (kind text not null, table_name text not null,
            name text not null, definition text)`.execute(db);
}

export async function recordRemoved(db: Db, removed: Removed): Promise<void> {
  const rows = [
    ...removed.indexes.map((index) => ['index', index.table, index.name, index.definition]),
    ...removed.foreignKeys.map((key) => ['foreign key', key.table, key.name, key.definition]),
    ...removed.triggers.map((trigger) => ['trigger', trigger.table, trigger.name, null]),
  ];
  if (rows.length === 0) return;
  await sql`insert into seed_removed (kind, table_name, name, definition) values ${sql.join(
    rows.map((row) => sql`(${sql.join(row)})`),
  )}`.execute(db);
}

export async function dropStaging(db: Db, staging: string): Promise<void> {
  await sql`drop schema ${sql.id(staging)} cascade`.execute(db);
}

/**
 * Marks the closed task_stats days the seed wrote into as stale (taking the roll-up's lock first: a roll-up that ran
 * meanwhile could not see the seed's rows, and has committed when this returns, so the days it closed are read
 * a statement later and marked).
 */
export async function markSeededDaysStale(db: Db): Promise<void> {
  await lockTaskStats(db);
  await sql`
    insert into task_stats_stale_day (day)
    select distinct date_trunc('day', created_at at time zone 'UTC') at time zone 'UTC' from seed_attempt
    where created_at < (select closed_before from task_stats_rollup)
    on conflict do nothing`.execute(db);
}

/**
 * Undoes a seed that did not finish (its staging schema is there: the process died, or its undo failed): deletes
 * the rows it committed (every one names a chain id the seed drew, in seed_chain), rolls task_stats' days of them up
 * again, puts back what it removed for the bulk load, then drops the schema. Returns whether there was one to undo.
 * Idempotent: a second attempt finds what the first put back in place.
 */
export async function undoUnfinishedSeed(db: Db, staging: string): Promise<boolean> {
  const table = (name: string) => sql`to_regclass(quote_ident(${staging}) || '.' || ${name}) is not null`;
  const tables = await sql<{
    present: boolean;
    owned: boolean;
    planned: boolean;
    attempts: boolean;
    removed: boolean;
  }>`
    select to_regnamespace(quote_ident(${staging})) is not null as present, ${table('seed_owner')} as owned,
           ${table('seed_chain')} as planned, ${table('seed_attempt')} as attempts,
           ${table('seed_removed')} as removed`.execute(db);
  const found = tables.rows[0];
  if (!found?.present) return false;
  const owner = found.owned
    ? (
        await sql<{ mine: boolean }>`
          select app_schema = current_schema() as mine from ${sql.id(staging, 'seed_owner')}`.execute(db)
      ).rows[0]?.mine
    : false;
  if (!owner) {
    throw new Error(
      `schema ${staging} is in the way: the seed plans in a schema of that name, and this one is not a seed's of this schema (rename it, or seed another schema)`,
    );
  }
  if (found.planned) {
    const seeded = sql`(select chain_id from seed_chain)`;
    // Children before the chain rows their foreign keys (if back already) point to.
    for (const table of ['chain_event', 'triage', 'reply_draft', 'inbox_message'] as const) {
      await sql`delete from ${sql.table(table)} where chain_id in ${seeded}`.execute(db);
    }
    await sql`delete from chain where id in ${seeded}`.execute(db);
    if (found.attempts) await markSeededDaysStale(db);
    await sql`delete from inference_log where chain_id in ${seeded}`.execute(db);
  }
  if (found.removed) {
    const { rows } = await sql<{ kind: string; table_name: string; name: string; definition: string | null }>`
      select kind, table_name, name, definition from seed_removed`.execute(db);
    for (const row of rows) {
      if (row.kind === 'index' && row.definition)
        await restoreIndex(db, { table: row.table_name, name: row.name, definition: row.definition });
    }
    for (const row of rows) {
      if (row.kind === 'foreign key' && row.definition)
        await restoreForeignKey(db, { table: row.table_name, name: row.name, definition: row.definition });
    }
    await enableTriggers(
      db,
      rows.filter((row) => row.kind === 'trigger').map((row) => ({ table: row.table_name, name: row.name })),
    );
  }
  if (found.attempts) await rollUpTaskStatsIn(db);
  await dropStaging(db, staging);
  return true;
}
