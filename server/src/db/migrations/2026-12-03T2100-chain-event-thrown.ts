import type { Kysely } from 'kysely';

// Beside a step_failed event, what its step threw (its class, message and, for our LLM errors, their record), kept
// for the runner alone: a resumed chain throws the same error again rather than calling the step again. Never sent
// to subscribers (the payload says what they may see). Null for every other event and for failures stored before.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chain_event').addColumn('thrown', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chain_event').dropColumn('thrown').execute();
}
