import type { Kysely } from 'kysely';

// Which step of its chain an attempt belongs to (the runner numbers a chain's steps 1, 2, … in the order its code
// asks for them): a resumed chain replays a step from its own call's `ok` row, whatever the step and the task are
// named. Null for a call made outside a chain's steps, and for rows logged before this column. Nullable without a
// default, so PostgreSQL adds it without rewriting the table.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inference_log').addColumn('chain_step', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inference_log').dropColumn('chain_step').execute();
}
