import type { Kysely } from 'kysely';

// Which price table each cost came from ("genai-prices@0.1.8", "config", "offline"), so a cost can be re-checked or
// re-priced when the table changes. Rows written before it stay null rather than being rewritten: on a large log,
// filling the column would rewrite every row inside the migration.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inference_log').addColumn('price_source', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inference_log').dropColumn('price_source').execute();
}
