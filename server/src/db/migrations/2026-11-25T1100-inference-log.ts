import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inference_log')
    .addColumn('id', 'uuid', (column) => column.primaryKey())
    .addColumn('chain_id', 'uuid', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) =>
      column.notNull().check(sql`status in ('pending', 'ok', 'error')`),
    )
    .addColumn('attempt', 'integer', (column) => column.notNull().defaultTo(1))
    .addColumn('request', 'jsonb', (column) => column.notNull())
    .addColumn('response', 'jsonb')
    .addColumn('output', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('input_tokens', 'integer')
    .addColumn('output_tokens', 'integer')
    .addColumn('cost_usd', 'numeric(14, 8)')
    .addColumn('latency_ms', 'double precision')
    .addColumn('provider_request_id', 'text')
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('inference_log_chain_id_idx').on('inference_log').column('chain_id').execute();
  await db.schema
    .createIndex('inference_log_name_created_at_idx')
    .on('inference_log')
    .columns(['name', 'created_at'])
    .execute();
  await db.schema.createIndex('inference_log_created_at_idx').on('inference_log').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inference_log').execute();
}
