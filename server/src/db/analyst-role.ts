import { sql } from 'kysely';
import type { Db } from './client.js';

/** A role name we create unquoted-safe: lower case, as PostgreSQL folds names typed without quotes. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class AnalystRoleError extends Error {
  override name = 'AnalystRoleError';
}

export interface AnalystRole {
  role: string;
  database: string;
  schema: string;
  /** false when the role existed and only its grants were (re)applied. */
  created: boolean;
  /** How many tables and views of the schema it can read now. */
  relations: number;
}

/**
 * Creates (or updates) a PostgreSQL login role that can read every table and view of the connection's current schema
 * (the log, the domain tables, chain_summary, task_stats) and change nothing. Tables and views the connecting user
 * makes later (new migrations) are readable too, through default privileges. Running it again is harmless.
 * The role gets no password: set one with psql's `\password <role>` (or rely on the server's pg_hba rules).
 * @throws AnalystRoleError for a name that is not a plain lower-case identifier, or an existing role that can do
 *   more than read (a superuser, or one that may create roles or databases or bypass row security).
 */
export async function grantAnalystRole(db: Db, role: string): Promise<AnalystRole> {
  if (!ROLE_NAME.test(role)) {
    throw new AnalystRoleError(
      `"${role}" is not a role name this script creates: use lower-case letters, digits and _, starting with a letter or _, at most 63`,
    );
  }
  return db.transaction().execute(async (transaction) => {
    const { rows: places } = await sql<{ database: string; schema: string | null; user: string }>`
      select current_database() as database, current_schema() as schema, current_user as user`.execute(transaction);
    const place = places[0];
    if (!place?.schema)
      throw new AnalystRoleError("the connection's search_path names no existing schema: nothing to grant");
    const { database, schema } = place;
    if (role === place.user)
      throw new AnalystRoleError(`"${role}" is the role this script connects as: pick another name for the analysts`);
    const { rows: existing } = await sql<{ powerful: boolean }>`
      select rolsuper or rolcreaterole or rolcreatedb or rolbypassrls or rolreplication as powerful
      from pg_roles where rolname = ${role}`.execute(transaction);
    const found = existing[0];
    if (found?.powerful) {
      throw new AnalystRoleError(
        `the role "${role}" already exists and can do more than read (superuser, create roles or databases, replication or bypass row security): pick another name`,
      );
    }
    const roleId = sql.id(role);
    const schemaId = sql.id(schema);
    if (!found)
      await sql`create role ${roleId} login nosuperuser nocreatedb nocreaterole noinherit`.execute(transaction);
    await sql`grant connect on database ${sql.id(database)} to ${roleId}`.execute(transaction);
    await sql`grant usage on schema ${schemaId} to ${roleId}`.execute(transaction);
    // "all tables" includes views and materialized views.
    await sql`grant select on all tables in schema ${schemaId} to ${roleId}`.execute(transaction);
    // What the connecting user (the one that runs the migrations) creates in the schema from now on.
    await sql`alter default privileges in schema ${schemaId} grant select on tables to ${roleId}`.execute(transaction);
    // Unqualified names (inference_log, chain_summary) resolve in this schema for the analyst too.
    await sql`alter role ${roleId} in database ${sql.id(database)} set search_path = ${schemaId}`.execute(transaction);
    // As on the app's connections: the planner's estimates of the views pass jit_above_cost easily, and compiling
    // then takes longer than the query (1.7 of 1.8 s for 14 days of task_stats at 20,000 rows). `set jit = on` in a
    // session still turns it on.
    await sql`alter role ${roleId} in database ${sql.id(database)} set jit = off`.execute(transaction);
    const { rows: counts } = await sql<{ relations: number }>`
      select count(*)::int as relations from pg_class
      where relnamespace = (select oid from pg_namespace where nspname = ${schema}) and relkind in ('r', 'v', 'm', 'p')
        and has_table_privilege(${role}, oid, 'select')`.execute(transaction);
    return { role, database, schema, created: !found, relations: counts[0]?.relations ?? 0 };
  });
}
