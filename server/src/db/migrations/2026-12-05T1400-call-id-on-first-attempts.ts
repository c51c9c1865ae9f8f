import { type Kysely, sql } from 'kysely';

// The database gave a call to a retry written without one (attempt > 1), and left a first attempt written without one
// null: rows an instance of an earlier version writes during a rolling deploy, after the column exists, so a
// `group by call_id` over them made one group of every such call. A first attempt's call is its own id: the trigger
// now gives it that too. First attempts logged before the column keep their null (rewriting every row of a large log
// is no migration's to do), and so do those an earlier version's instance wrote before this migration: group by
// `coalesce(call_id, id)`. ask() names the call of every first attempt it writes, so the new branch runs for none of
// its rows.

const callIdFunction = (firstAttempts: boolean) => sql`
    create or replace function inference_log_call_id() returns trigger
    language plpgsql set search_path from current as $$
    begin
      new.call_id := ${firstAttempts ? sql`case when new.attempt > 1 then ` : sql``}coalesce(inference_log_continued_call(new.chain_id, new.chain_step, new.name, new.attempt,
                                                           new.created_at, new.id), new.id)${firstAttempts ? sql` else new.id end` : sql``};
      return new;
    end
    $$`;

const callIdTrigger = (firstAttempts: boolean) => sql`
    create trigger inference_log_call_id before insert on inference_log
    for each row when (new.call_id is null${firstAttempts ? sql`` : sql` and new.attempt > 1`})
    execute function inference_log_call_id()`;

export async function up(db: Kysely<any>): Promise<void> {
  await callIdFunction(true).execute(db);
  await sql`drop trigger inference_log_call_id on inference_log`.execute(db);
  await callIdTrigger(true).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await callIdFunction(false).execute(db);
  await sql`drop trigger inference_log_call_id on inference_log`.execute(db);
  await callIdTrigger(false).execute(db);
}
