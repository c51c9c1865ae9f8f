import { type Kysely, sql } from 'kysely';

// Logs search found no word inside what PostgreSQL's parser reads as one token: an email address
// (`zhang.wei@example.com` is one lexeme, so `zhang` and `example.com` found nothing), a URL and its host and path,
// a file name, a decimal number, an order number such as `A-4242` (read as `a` and the signed number `-4242`, so
// `4242` found nothing), and HTML, whose tags and the contents of <script> and <style> the parser skips whole.
// The document now reads the same strings (the row's request messages, the output's strings and numbers) with
// `@ / . < > -` turned into spaces first, so every part is a word of its own, stemmed as before; and
// inference_log_search(q), the query logs.list makes (and an analyst's), turns a term holding one of them into the
// phrase of its parts: `zhang.wei@example.com` is `zhang <-> wei <-> exampl <-> com`. A term's leading `-` stays
// websearch's "not".
//
// The strings are joined with two stop words between them, which take word positions, so a phrase never spans two
// (jsonb_to_tsvector left a gap too). The text is cut at 262,000 characters: past 1 MB of words a tsvector is an
// error, which would fail the log row's insert (a 1.5 MB script of distinct words does; the parser used to skip it).
//
// The function keeps its name, so inference_log_document_idx keeps its definition and is rebuilt for the new body.
// Its subquery keeps PostgreSQL from inlining it; the index still serves `inference_log_document(request, output)
// @@ …`, the expression it was built on. The document costs about 6 µs more a row on PostgreSQL and 12 µs on PGlite
// (README, "Search, counts and stats").
const DOCUMENT_WITH_WORD_PARTS = sql`
  create or replace function inference_log_document(request jsonb, output jsonb) returns tsvector
  language sql immutable parallel safe as $$
    select to_tsvector('english'::regconfig, replace(replace(replace(replace(replace(replace(left(
      array_to_string(array(select jsonb_array_elements_text(
        coalesce(jsonb_path_query_array(request, '$.messages[*].content'), '[]')
        || coalesce(jsonb_path_query_array(output, 'strict $.** ? (@.type() == "string" || @.type() == "number")'), '[]'))),
        ' and and '), 262000),
      '@', ' '), '/', ' '), '.', ' '), '<', ' '), '>', ' '), '-', ' '))
  $$`;

// websearch_to_tsquery's syntax is kept: "a phrase" (its joining characters turned into spaces), `or`, and `-term`.
const SEARCH = sql`
  create function inference_log_search(q text) returns tsquery
  language sql immutable parallel safe as $$
    select websearch_to_tsquery('english'::regconfig, coalesce(string_agg(
      case
        when token like '"%' then translate(token, '@/.<>-', '      ')
        when token ~ '.[@/.<>-]|^[@/.<>]' then
          substring(token from '^-?') || '"' || translate(substring(token from '^-?(.*)$'), '@/.<>-', '      ') || '"'
        else token
      end, ' '), ''))
    from (select match[1] as token from regexp_matches(q, '("[^"]*"?|[^[:space:]"]+)', 'g') as match) as tokens
  $$`;

const DOCUMENT_OF_PARSER_TOKENS = sql`
  create or replace function inference_log_document(request jsonb, output jsonb) returns tsvector
  language sql immutable parallel safe as $$
    select jsonb_to_tsvector('english'::regconfig, coalesce(jsonb_path_query_array(request, '$.messages[*].content'), '[]'::jsonb), '["string"]')
        || jsonb_to_tsvector('english'::regconfig, coalesce(output, '{}'::jsonb), '["string", "numeric"]')
  $$`;

export async function up(db: Kysely<any>): Promise<void> {
  await DOCUMENT_WITH_WORD_PARTS.execute(db);
  await sql`reindex index inference_log_document_idx`.execute(db);
  await SEARCH.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function inference_log_search(text)`.execute(db);
  await DOCUMENT_OF_PARSER_TOKENS.execute(db);
  await sql`reindex index inference_log_document_idx`.execute(db);
}
