import { type Kysely, sql } from 'kysely';

// Full-text search over what a call was asked and what it answered: the text of the request's messages (system and
// user prompts) and every string and number in the structured output, as one English tsvector (stemmed, stop words
// dropped). Not the rest of the request: the output schema sent with it would make every call match its own field
// names.
//
// An expression index rather than a stored generated column: adding the column would rewrite the whole table (and
// grow every row by its tsvector) on databases that already hold millions of rows, and `select *` (the export) would
// carry it. The function names the expression once: logs.list calls it, and PostgreSQL inlines the SQL function both
// there and in the index definition, so the two match. Both work the same on PGlite (PostgreSQL 17 with the english
// configuration built in).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function inference_log_document(request jsonb, output jsonb) returns tsvector
    language sql immutable parallel safe as $$
      select jsonb_to_tsvector('english'::regconfig, coalesce(jsonb_path_query_array(request, '$.messages[*].content'), '[]'::jsonb), '["string"]')
          || jsonb_to_tsvector('english'::regconfig, coalesce(output, '{}'::jsonb), '["string", "numeric"]')
    $$`.execute(db);
  await sql`create index inference_log_document_idx on inference_log using gin (inference_log_document(request, output))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index inference_log_document_idx`.execute(db);
  await sql`drop function inference_log_document(jsonb, jsonb)`.execute(db);
}
