import type { Kysely } from 'kysely';

// Every stored chain event says which version of the payload shape it was written in, so a change of the wire
// schema can still read the events stored before it (db/chain-event-payloads.ts upcasts each version to today's).
// Rows stored until now, and rows inserted by SQL that names no version (db:seed), are version 1.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chain_event').addColumn('payload_version', 'smallint', (column) => column.notNull().defaultTo(1)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chain_event').dropColumn('payload_version').execute();
}
