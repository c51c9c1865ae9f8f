import { type Kysely, sql } from 'kysely';
import { up as previousView } from './2026-12-04T1000-chain-summary-failed-call.js';

// A retry continued the newest attempt of its number before it, whatever that attempt's status: with two calls of a
// task side by side, the second's pending attempt 1 took the first's retry, so a chain read running where chains.get
// (grouping the same way) said failed, and the first call's failure could be missed. Only a failed attempt is
// retried (its retry starts after it ended), so a retry now continues the newest *failed* attempt of its number, in
// groupIntoCalls (shared/src/chain-calls.ts) and here alike. Found by a property test of the two rules
// (server/src/routers/chain-status-rule.test.ts). `create or replace` keeps the columns and an analyst role's grants.

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
          -- A call failed when an attempt failed and was not retried: no attempt numbered one higher of the same
          -- task follows it before another failed attempt of its number does (which that retry would continue). The
          -- rule chains.get applies to a chain only the log knows (groupIntoCalls, shared/src/chain-calls.ts), in
          -- the log's order (created_at, id).
          bool_or(status = 'error' and not exists (
            select 1 from inference_log as retry
            where retry.chain_id = attempt_row.chain_id and retry.name = attempt_row.name
              and retry.attempt = attempt_row.attempt + 1
              and (retry.created_at, retry.id) > (attempt_row.created_at, attempt_row.id)
              and not exists (
                select 1 from inference_log as newer
                where newer.chain_id = attempt_row.chain_id and newer.name = attempt_row.name
                  and newer.attempt = attempt_row.attempt and newer.status = 'error'
                  and (newer.created_at, newer.id) > (attempt_row.created_at, attempt_row.id)
                  and (newer.created_at, newer.id) < (retry.created_at, retry.id))
          )) as failed,
          count(*) filter (where attempt = 1) as calls,
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
}
