import { type Kysely, sql } from 'kysely';
import { up as previousView } from './2026-12-05T1000-chain-summary-retry-of-failed.js';

// Which call an attempt belongs to was inferred from the log when it was read: a retry continued the newest failed
// attempt of its task and number. Two calls of one task side by side could be told apart wrongly: A#1 fails, B#1
// starts, A#2 starts, B#1 fails, A#2 and B#2 answer read as [A1] [B1 A2] [B2], a chain that failed although every
// call answered. ask() knows which call each attempt belongs to, so it now writes it: `call_id`, the id of the
// call's first attempt (on a first attempt its own id).
//
// A retry written without it (by an instance of an earlier version during a rolling deploy, or a caller's own chain
// step of several calls resumed in another process; the chain runner hands a resumed step's cut-off call to its
// ask()) is given one as it is inserted, by the old inference made once, at insert time: the newest failed attempt
// before it of the same chain step and task, numbered one lower, that no attempt has continued yet. Retries already
// in the log are given theirs here the same way, in the log's order. First attempts already in the log keep null
// (their call is their own id: `coalesce(call_id, id)`), so the column is added without rewriting the table.

const CONTINUED_CALL = sql`
  create function inference_log_continued_call(row_chain_id uuid, row_chain_step int, row_name text, row_attempt int,
                                               row_created_at timestamptz, row_id uuid) returns uuid
  language sql stable set search_path from current as $$
    select coalesce(failed.call_id, failed.id) from inference_log as failed
    where failed.chain_id = row_chain_id and failed.chain_step is not distinct from row_chain_step
      and failed.name = row_name and failed.attempt = row_attempt - 1
      and failed.status = 'error' and (failed.created_at, failed.id) < (row_created_at, row_id)
      and not exists (
        select 1 from inference_log as retry
        where retry.call_id = coalesce(failed.call_id, failed.id) and retry.attempt > 1
          and retry.attempt = row_attempt and retry.id <> row_id)
    order by failed.created_at desc, failed.id desc
    limit 1
  $$`;

const LOG_CHAINS = sql`
    select
      chains.chain_id,
      coalesce(chain.name, chains.first_step) as name,
      coalesce(chain.status, case
        when chains.pending then 'running'
        when chains.failed then 'failed'
        else 'succeeded' end) as status,
      chain.input,
      chains.first_call_at,
      chains.last_call_at,
      extract(epoch from chains.last_call_at - chains.first_call_at)::double precision * 1000 as wall_ms,
      chains.calls,
      chains.attempts,
      chains.errors,
      chains.input_tokens,
      chains.output_tokens,
      chains.cost_usd,
      chains.slowest_step,
      chains.slowest_step_ms,
      (chain.id is not null) as has_chain_row
    from (
      select
        chain_id,
        min(first_call_at) as first_call_at,
        max(last_call_at) as last_call_at,
        sum(calls)::int as calls,
        sum(attempts)::int as attempts,
        sum(errors)::int as errors,
        sum(input_tokens)::int as input_tokens,
        sum(output_tokens)::int as output_tokens,
        sum(cost_usd) as cost_usd,
        (array_agg(name order by step_ms desc nulls last, name))[1] as slowest_step,
        max(step_ms) as slowest_step_ms,
        (array_agg(name order by first_call_at, name))[1] as first_step,
        bool_or(failed) as failed,
        bool_or(pending) as pending
      from (
        select
          chain_id,
          name,
          min(created_at) as first_call_at,
          max(coalesce(finished_at, created_at)) as last_call_at,
          bool_or(status = 'pending') as pending,
          -- A call failed when an attempt failed and no later attempt of its call followed.
          bool_or(status = 'error' and not exists (
            select 1 from inference_log as retry
            where retry.call_id = coalesce(attempt_row.call_id, attempt_row.id) and retry.attempt > 1
              and retry.attempt > attempt_row.attempt
          )) as failed,
          -- A call is counted by the attempt that started it.
          count(*) filter (where coalesce(call_id, id) = id) as calls,
          count(*) as attempts,
          count(*) filter (where status = 'error') as errors,
          sum(input_tokens) as input_tokens,
          sum(output_tokens) as output_tokens,
          sum(cost_usd) as cost_usd,
          sum(latency_ms) as step_ms
        from inference_log as attempt_row
        group by chain_id, name
      ) as steps
      group by chain_id
    ) as chains
    left join chain on chain.id = chains.chain_id`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inference_log').addColumn('call_id', 'uuid').execute();
  // Only retries name a call other than their own: this index of them alone answers "was this attempt retried?" with
  // one probe (a chain of 1,200 attempts, 600 of them retried: 36 ms through the chain_id index, 0.9 ms with it), and
  // costs a first attempt's write nothing. Made before the retries below are given their calls, which ask it.
  await sql`create index inference_log_retry_call_idx on inference_log (call_id) where attempt > 1`.execute(db);
  await CONTINUED_CALL.execute(db);
  // Retries already logged, oldest first, so the attempt each continues already has its call. Marking closed days
  // stale for the statistics is off meanwhile (the column is none of theirs), then as it was for what follows.
  await sql`
    do $$
    declare
      retry record;
      marking text := current_setting('chainlog.task_stats_stale', true);
    begin
      perform set_config('chainlog.task_stats_stale', 'off', true);
      for retry in select id, chain_id, chain_step, name, attempt, created_at from inference_log where attempt > 1
                   order by created_at, id loop
        update inference_log
        set call_id = coalesce(inference_log_continued_call(retry.chain_id, retry.chain_step, retry.name,
                                                            retry.attempt, retry.created_at, retry.id), retry.id)
        where id = retry.id;
      end loop;
      perform set_config('chainlog.task_stats_stale', coalesce(marking, ''), true);
    end
    $$`.execute(db);
  await sql`analyze inference_log`.execute(db);
  await sql`
    create function inference_log_call_id() returns trigger
    language plpgsql set search_path from current as $$
    begin
      new.call_id := coalesce(inference_log_continued_call(new.chain_id, new.chain_step, new.name, new.attempt,
                                                           new.created_at, new.id), new.id);
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger inference_log_call_id before insert on inference_log
    for each row when (new.call_id is null and new.attempt > 1) execute function inference_log_call_id()`.execute(db);
  // `create or replace` keeps the view's columns and an analyst role's grants.
  await sql`
    create or replace view chain_summary as
    ${LOG_CHAINS}
    union all
    select
      chain.id as chain_id,
      chain.name,
      chain.status,
      chain.input,
      null::timestamptz as first_call_at,
      null::timestamptz as last_call_at,
      null::double precision as wall_ms,
      0 as calls,
      0 as attempts,
      0 as errors,
      null::int as input_tokens,
      null::int as output_tokens,
      null::numeric as cost_usd,
      null::text as slowest_step,
      null::double precision as slowest_step_ms,
      true as has_chain_row
    from chain
    where not exists (select 1 from inference_log where inference_log.chain_id = chain.id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await previousView(db);
  await sql`drop trigger inference_log_call_id on inference_log`.execute(db);
  await sql`drop function inference_log_call_id()`.execute(db);
  await sql`drop function inference_log_continued_call(uuid, int, text, int, timestamptz, uuid)`.execute(db);
  await sql`drop index inference_log_retry_call_idx`.execute(db);
  await db.schema.alterTable('inference_log').dropColumn('call_id').execute();
}
