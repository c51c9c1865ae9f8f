import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chain')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) =>
      column.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'interrupted')`),
    )
    .addColumn('input', 'jsonb', (column) => column.notNull())
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('chain_status_idx').on('chain').columns(['status', 'id']).execute();
  await db.schema.createIndex('chain_name_idx').on('chain').columns(['name', 'id']).execute();

  await db.schema
    .createTable('chain_event')
    .addColumn('id', 'bigint', (column) => column.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('chain_id', 'uuid', (column) => column.notNull().references('chain.id').onDelete('cascade'))
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('payload', 'jsonb', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('chain_event_chain_id_idx').on('chain_event').columns(['chain_id', 'id']).execute();

  await db.schema
    .createTable('inbox_message')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('chain_id', 'uuid', (column) => column.notNull())
    .addColumn('from_address', 'text', (column) => column.notNull())
    .addColumn('subject', 'text', (column) => column.notNull())
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('inbox_message_chain_id_idx').on('inbox_message').column('chain_id').execute();

  await db.schema
    .createTable('triage')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('chain_id', 'uuid', (column) => column.notNull())
    .addColumn('message_id', 'uuid', (column) => column.notNull().references('inbox_message.id').onDelete('cascade'))
    .addColumn('intent', 'text', (column) => column.notNull())
    .addColumn('confidence', 'numeric(4, 3)', (column) => column.notNull())
    .addColumn('urgency', 'text', (column) => column.notNull())
    .addColumn('entities', 'jsonb', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('triage_chain_id_idx').on('triage').column('chain_id').execute();
  await db.schema.createIndex('triage_message_id_idx').on('triage').column('message_id').execute();

  await db.schema
    .createTable('reply_draft')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('chain_id', 'uuid', (column) => column.notNull())
    .addColumn('message_id', 'uuid', (column) => column.notNull().references('inbox_message.id').onDelete('cascade'))
    .addColumn('subject', 'text', (column) => column.notNull())
    .addColumn('body', 'text', (column) => column.notNull())
    .addColumn('tone', 'text', (column) => column.notNull())
    .addColumn('needs_human', 'boolean', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('reply_draft_chain_id_idx').on('reply_draft').column('chain_id').execute();
  await db.schema.createIndex('reply_draft_message_id_idx').on('reply_draft').column('message_id').execute();

  // The logs explorer filters by these and pages by time.
  await db.schema.createIndex('inference_log_model_created_at_idx').on('inference_log').columns(['model', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inference_log_model_created_at_idx').execute();
  await db.schema.dropTable('reply_draft').execute();
  await db.schema.dropTable('triage').execute();
  await db.schema.dropTable('inbox_message').execute();
  await db.schema.dropTable('chain_event').execute();
  await db.schema.dropTable('chain').execute();
}
