import { type Kysely, sql } from 'kysely';
import PgBoss from 'pg-boss';
import { jobsSchemaFor } from '../jobs-schema.js';
import { splitSqlScript } from '../sql-script.js';

// Submitted chains become jobs of pg-boss (10.4: the newest that runs on Node 20), in a schema of their own beside
// the app's. pg-boss's own construction script is run here, statement by statement (PGlite takes one per call), so `npm run db:migrate` makes the whole database
// and the server starts pg-boss without letting it migrate (and creates its queue). A later pg-boss gets a migration running
// PgBoss.getMigrationPlans.
export async function up(db: Kysely<any>): Promise<void> {
  const schema = jobsSchemaFor(await currentSchema(db));
  for (const statement of splitSqlScript(PgBoss.getConstructionPlans(schema))) {
    // The migration's own transaction stands for the script's; its SET LOCALs would outlive this migration in it
    // (Kysely runs every pending migration in one transaction) and time out the later ones' locks.
    if (/^(BEGIN|COMMIT)$/i.test(statement) || /^SET LOCAL /i.test(statement)) continue;
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop schema ${sql.id(jobsSchemaFor(await currentSchema(db)))} cascade`.execute(db);
}

async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}
