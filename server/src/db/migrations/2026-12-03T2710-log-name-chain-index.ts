import { type Kysely, sql } from 'kysely';

// chains.list filtered by a name looks for chains only the log knows whose first call has that name: the log's rows of
// that name, newest chain first, each kept when its chain has no chain row and no earlier call. Without an index that
// gives a name's rows in chain_id order, PostgreSQL read the whole log for it (1.4 s at a million rows when the name is
// no chain's first call, a task that always comes later, as "entity extraction" does). This one gives them in that
// order, with created_at for the earlier-call check, so an index-only scan reads only the name's entries and stops at
// the page's last chain.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index inference_log_name_chain_id_idx on inference_log (name, chain_id) include (created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inference_log_name_chain_id_idx').execute();
}
