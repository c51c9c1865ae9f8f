import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYST_CHAINS, type AnalystSeed, seedAnalystData } from '../../test/analyst-seed.js';
import { openTestDatabase, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';
import { runTsxScript, SCRIPT_TIMEOUT_MS, type ScriptRun } from '../../test/tsx-script.js';
import { AnalystRoleError, grantAnalystRole } from './analyst-role.js';
import type { DatabaseHandle } from './client.js';

const CLI_TIMEOUT_MS = SCRIPT_TIMEOUT_MS;
const DEMO = Object.values(ANALYST_CHAINS).flatMap((chain) => ('demo' in chain ? [chain.demo] : []));
const SEEDED = {
  chains: DEMO.length,
  triages: DEMO.filter((demo) => demo.triage).length,
  replies: DEMO.filter((demo) => demo.reply).length,
};

/** A connection that logs in as `role` itself, with no search_path of ours: the role's own setting must find the tables. */
async function connectAs<T>(role: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(testDatabaseUrl());
  url.username = role;
  url.password = '';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropRole(role: string): Promise<void> {
  await withAdminClient(testDatabaseUrl(), async (client) => {
    const { rows } = await client.query('select 1 from pg_roles where rolname = $1', [role]);
    if (rows.length === 0) return;
    // Revokes its grants and default privileges in this database; roles are cluster-wide, so it must go.
    await client.query(`drop owned by "${role}"`);
    await client.query(`drop role "${role}"`);
  });
}

function runCli(args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return runTsxScript('server/src/cli/analyst-role.ts', args, env);
}

describe("the analysts' read-only role", () => {
  let database: DatabaseHandle & { schema?: string };
  let seed: AnalystSeed;
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const role = `analyst_${suffix}`;
  const cliRole = `analyst_cli_${suffix}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    seed = await seedAnalystData(database.db);
  });
  afterAll(async () => {
    await dropRole(role);
    await dropRole(cliRole);
    await database.close();
  });

  it('reads the log, the domain tables and the views of the schema in use', async () => {
    const granted = await grantAnalystRole(database.db, role);
    expect(granted).toMatchObject({ role, schema: database.schema, created: true });
    expect(granted.relations).toBeGreaterThanOrEqual(9);
    const counts = await connectAs(role, async (client) => {
      const { rows } = await client.query<Record<string, number | string>>(`
        select (select count(*)::int from inference_log) as logs, (select count(*)::int from chain) as chains,
               (select count(*)::int from triage) as triages, (select count(*)::int from reply_draft) as replies,
               (select count(*)::int from chain_summary) as summaries, (select count(*)::int from task_stats) as stats,
               current_setting('jit') as jit`);
      return rows[0];
    });
    expect(counts).toMatchObject({ ...SEEDED, summaries: Object.keys(seed.chainIds).length, jit: 'off' });
    expect(counts?.logs).toBeGreaterThan(0);
    expect(counts?.stats).toBeGreaterThan(0);
  });

  it('changes nothing: INSERT, UPDATE, DELETE, TRUNCATE and CREATE are refused', async () => {
    await grantAnalystRole(database.db, role);
    const refusals = await connectAs(role, async (client) => {
      const statements = [
        `insert into inference_log (id, chain_id, name, provider, model, status, request) values (gen_random_uuid(), gen_random_uuid(), 't', 'p', 'm', 'ok', '{}')`,
        `update inference_log set cost_usd = 0`,
        `delete from inference_log`,
        `insert into triage (id, chain_id, message_id, intent, confidence, urgency, entities) select gen_random_uuid(), chain_id, id, 'other', 1, 'low', '{}' from inbox_message limit 1`,
        `update chain set status = 'failed'`,
        `delete from reply_draft`,
        `truncate chain_event`,
        `create table scratch (x int)`,
      ];
      const errors: string[] = [];
      for (const statement of statements) {
        errors.push(
          await client.query(statement).then(
            () => 'accepted',
            (error: Error) => error.message,
          ),
        );
      }
      return errors;
    });
    for (const error of refusals) expect(error).toMatch(/permission denied/);
    const { rows } = await sql<{ logs: number; replies: number }>`
      select (select count(*)::int from inference_log) as logs, (select count(*)::int from reply_draft) as replies`.execute(
      database.db,
    );
    expect(rows[0]).toMatchObject({ replies: SEEDED.replies });
    expect(rows[0]?.logs).toBeGreaterThan(0);
  });

  it('reads a table that a later migration adds, through default privileges', async () => {
    await grantAnalystRole(database.db, role);
    await sql`create table later_table (id int primary key)`.execute(database.db);
    await sql`insert into later_table values (1)`.execute(database.db);
    const rows = await connectAs(role, async (client) => (await client.query('select id from later_table')).rows);
    expect(rows).toEqual([{ id: 1 }]);
    const refused = await connectAs(role, (client) =>
      client.query('insert into later_table values (2)').then(
        () => 'accepted',
        (error: Error) => error.message,
      ),
    );
    expect(refused).toMatch(/permission denied/);
  });

  it('refuses a name that is not a plain identifier, and an existing role that can do more than read', async () => {
    await expect(grantAnalystRole(database.db, 'Robert"; drop table chain; --')).rejects.toThrow(AnalystRoleError);
    await expect(grantAnalystRole(database.db, 'postgres')).rejects.toThrow(/can do more than read|connects as/);
  });

  it('is what npm run db:analyst-role does with DATABASE_URL', { timeout: CLI_TIMEOUT_MS + 15_000 }, async () => {
    const url = new URL(testDatabaseUrl());
    url.searchParams.set('options', `-c search_path=${database.schema}`);
    const run = await runCli([cliRole], { DATABASE_URL: url.toString() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`created role "${cliRole}"`);
    const summaries = await connectAs(
      cliRole,
      async (client) => (await client.query('select count(*)::int as count from chain_summary')).rows,
    );
    expect(summaries).toEqual([{ count: Object.keys(seed.chainIds).length }]);
  });

  it('refuses on PGlite, saying why', { timeout: CLI_TIMEOUT_MS + 15_000 }, async () => {
    const run = await runCli([cliRole], { CHAINLOG_DATA_DIR: 'memory://' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs PostgreSQL \(DATABASE_URL\).*embedded PGlite/s);
    expect(run.stdout).toBe('');
  });
});
