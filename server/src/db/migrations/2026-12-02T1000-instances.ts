import { type Kysely, sql } from 'kysely';

// Every process that writes rows registers as an instance and keeps its heartbeat fresh; the rows it leaves
// pending, and the chains it leaves running, are ended once its heartbeat lapses (or it says it stopped).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('instance')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('hostname', 'text', (column) => column.notNull())
    .addColumn('pid', 'integer', (column) => column.notNull())
    .addColumn('started_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('stopped_at', 'timestamptz')
    .execute();
  await db.schema.alterTable('inference_log').addColumn('instance_id', 'uuid').execute();
  await db.schema.alterTable('chain').addColumn('instance_id', 'uuid').execute();
  // The sweep looks only at pending rows: a small partial index, whatever the size of the log.
  await db.schema.createIndex('inference_log_pending_instance_idx').on('inference_log').column('instance_id').where(sql.ref('status'), '=', 'pending').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inference_log_pending_instance_idx').execute();
  await db.schema.alterTable('chain').dropColumn('instance_id').execute();
  await db.schema.alterTable('inference_log').dropColumn('instance_id').execute();
  await db.schema.dropTable('instance').execute();
}
