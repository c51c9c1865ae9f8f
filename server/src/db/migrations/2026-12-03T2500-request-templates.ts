import { type Kysely, sql } from 'kysely';

// What every call of a task repeats in its request, stored once: the output schema sent (`{ name, schema }`) and the
// request's leading system messages (the task's instructions). A log row keeps the rest (the other messages, params,
// requested model) in `request` and names its template by `request_template_id`, the SHA-256 of the template's JSON.
// Rows written before this migration (and by the synthetic seed) keep their whole request and no template.
//
// No foreign key on purpose: PostgreSQL checks one with `select … for key share` on the template's row, so every
// concurrent log insert of a task would lock the same row (a multixact per overlap). The writer stores a template
// (committed) before the first row that names it.
//
// `inference_log_request` shows each row's request whole, as it was before templates, for analysts.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('request_template')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('output', 'jsonb', (column) => column.notNull())
    .addColumn('system_messages', 'jsonb', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  // Nullable and without a default: no rewrite of a table that may hold millions of rows.
  await db.schema.alterTable('inference_log').addColumn('request_template_id', 'text').execute();
  await sql`
    create view inference_log_request as
    select
      log.id,
      case when template.id is null then log.request
        else log.request || jsonb_build_object(
          'output', template.output,
          'messages', template.system_messages || coalesce(log.request->'messages', '[]'::jsonb))
      end as request
    from inference_log as log
    left join request_template as template on template.id = log.request_template_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view inference_log_request`.execute(db);
  await db.schema.alterTable('inference_log').dropColumn('request_template_id').execute();
  await db.schema.dropTable('request_template').execute();
}
