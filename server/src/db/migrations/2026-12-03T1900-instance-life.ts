import type { Kysely } from 'kysely';

// Which life of an instance id a row's heartbeat comes from: two processes given the same CHAINLOG_INSTANCE_ID
// would otherwise renew one heartbeat and end each other's work as a dead earlier life's.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instance').addColumn('life_id', 'uuid').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instance').dropColumn('life_id').execute();
}
