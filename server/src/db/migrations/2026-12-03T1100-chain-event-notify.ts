import { type Kysely, sql } from 'kysely';

// Every stored chain event is announced on the channel chainlog_chain_event, so every server process sharing the
// database can deliver it to its own subscribers. The trigger's NOTIFY is part of the inserting transaction:
// PostgreSQL sends it at commit, never for a rolled-back row, and in commit order. The payload names the schema
// (channels span the whole database), the chain and the event id (as text: int8 does not fit a JS number), at
// most ~170 bytes of the 8,000 NOTIFY allows; listeners read the rows themselves from the table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function chain_event_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('chainlog_chain_event', json_build_object('schema', tg_table_schema, 'chainId', new.chain_id, 'id', new.id::text)::text);
      return null;
    end
    $$`.execute(db);
  await sql`create trigger chain_event_notify after insert on chain_event for each row execute function chain_event_notify()`.execute(db);
  // A listener that reconnects looks for chains that finished while it was away.
  await db.schema.createIndex('chain_finished_at_idx').on('chain').column('finished_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('chain_finished_at_idx').execute();
  await sql`drop trigger chain_event_notify on chain_event`.execute(db);
  await sql`drop function chain_event_notify()`.execute(db);
}
