import { type Kysely, sql } from 'kysely';

// Views for analysts: what the SQL cookbook (docs/sql-cookbook.md) and the Chains and Stats pages read.
//
// Plain views, not materialized ones, by measurement (bench/analyst-views.ts: 200,000 attempts in 60,606 chains
// over 60 days, PostgreSQL 15 on the shared 2-core VM, medians of 7 reads in each of 3 runs, plain vs materialized):
// - one chain's summary: 1.6-2.0 ms vs 0.3-0.4 ms (the chain_id index either way);
// - the 50 newest chains, ids from the log first: 3.6-4.4 vs 2.6-4.3 ms;
// - task_stats over 30 days: 305-316 vs 3.5-7.2 ms; the 50 newest chains sorted by the view itself: 1.5-2.5 s vs 0.8 ms.
// Materialized copies win only where the whole log is aggregated, and they are wrong between refreshes (a running
// chain's attempts and errors missing) while each refresh recomputes everything: 1.2-2.7 s for chain_summary (2.5-3.8 s
// concurrently), 0.3-0.7 s for task_stats, growing with the log, on a schedule someone would own on PostgreSQL and on
// PGlite. A third of a second is fine for an analyst's query; a Stats page that must be faster at millions of rows can
// add a rollup of closed days beside this view.
//
// Totals count every attempt, retries included: `calls` are logical calls (each ask() starts at attempt 1),
// `attempts` every row. Any chain_id in inference_log is a chain; the demo's chain row adds its name, status and
// input where it exists.

export async function up(db: Kysely<any>): Promise<void> {
  // Two levels of grouping, both by chain_id first, so `where chain_id = …` on the view is pushed down to the
  // inference_log_chain_id_idx lookup. The inner level sums each step (a task name) over its attempts: a step's
  // time includes its retries, which is what makes it the slowest.
  await sql`
    create view chain_summary as
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
          -- A call failed when an attempt failed and no attempt numbered one higher of the same task followed it
          -- (the rule chains.get applies to a chain only the log knows: shared/src/chain-calls.ts).
          bool_or(status = 'error' and not exists (
            select 1 from inference_log as retry
            where retry.chain_id = attempt_row.chain_id and retry.name = attempt_row.name
              and retry.attempt = attempt_row.attempt + 1 and retry.created_at >= attempt_row.created_at
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
    left join chain on chain.id = chains.chain_id`.execute(db);

  // Days are UTC days, as timestamptz (midnight UTC), so they read back as the same Date on every client; spelled
  // with immutable functions (date_trunc's three-argument form is only stable) so an index could match it.
  await sql`
    create view task_stats as
    select
      date_trunc('day', created_at at time zone 'UTC') at time zone 'UTC' as day,
      name,
      provider,
      model,
      count(*) filter (where attempt = 1)::int as calls,
      count(*)::int as attempts,
      count(*) filter (where status = 'error')::int as errors,
      (count(*) filter (where status = 'error'))::double precision / count(*) as error_rate,
      percentile_cont(0.5) within group (order by latency_ms) as p50_ms,
      percentile_cont(0.95) within group (order by latency_ms) as p95_ms,
      sum(input_tokens)::bigint as input_tokens,
      sum(output_tokens)::bigint as output_tokens,
      sum(cost_usd) as cost_usd
    from inference_log
    group by 1, name, provider, model`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view task_stats`.execute(db);
  await sql`drop view chain_summary`.execute(db);
}
