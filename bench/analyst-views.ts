/**
 * Plain or materialized views for analysts? Seeds a scratch PostgreSQL schema with synthetic chains (set-based SQL),
 * then times the same reads on the plain views of the migration and on materialized copies of them, and what a
 * refresh of each copy costs. Prints medians of several runs.
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/analyst-views.ts [attempts]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { listChainsWithTotals } from '../server/src/db/queries/chains.js';
import { setLogLevel } from '../server/src/log.js';

const RUNS = 7;
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database');
// Three calls per chain; one call in ten needs a second attempt.
const calls = Math.round(Number(process.argv[2] ?? 200_000) / 1.1);
const schema = `bench_views_${process.pid}`;

setLogLevel('warn');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create schema ${schema}`);
try {
  const handle = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  await handle.close();
  await admin.query(`set search_path = ${schema}`);
  await seed(calls);
  const { rows: counts } = await admin.query<{ attempts: number; chains: number }>(
    `select count(*)::int as attempts, count(distinct chain_id)::int as chains from inference_log`,
  );
  console.log(`seeded ${counts[0]?.attempts} attempts in ${counts[0]?.chains} chains over 60 days`);
  const { rows: sample } = await admin.query<{ chain_id: string }>(
    `select chain_id from inference_log order by created_at desc offset 500 limit 1`,
  );
  const chainId = sample[0]?.chain_id;

  const refreshChains = await time(async () => {
    await admin.query(`drop materialized view if exists mat_chain_summary`);
    await admin.query(`create materialized view mat_chain_summary as select * from chain_summary`);
  });
  await admin.query(`create unique index on mat_chain_summary (chain_id)`);
  await admin.query(`create index on mat_chain_summary (first_call_at)`);
  const refreshStats = await time(async () => {
    await admin.query(`drop materialized view if exists mat_task_stats`);
    await admin.query(`create materialized view mat_task_stats as select * from task_stats`);
  });
  await admin.query(`create index on mat_task_stats (day)`);
  await admin.query(`analyze`);
  const refreshConcurrently = await median(() =>
    admin.query(`refresh materialized view concurrently mat_chain_summary`),
  );

  const reads = [
    ["one chain's summary", `select * from %s where chain_id = '${chainId}'`, 'chain_summary'],
    ['the 50 newest chains', `select * from %s order by first_call_at desc limit 50`, 'chain_summary'],
    // The cookbook's way to list chains: ids from the created_at index, then one summary per id. `offset 0` keeps the
    // lateral subquery from being flattened into a join, which would aggregate the whole log.
    [
      'the 50 newest chains of the last day, ids first',
      `select s.* from (select chain_id, min(created_at) as started from inference_log where created_at > now() - interval '1 day'
                        group by chain_id order by started desc limit 50) ids
       cross join lateral (select * from %s where chain_id = ids.chain_id offset 0) s`,
      'chain_summary',
    ],
    ['task_stats, last 30 days', `select * from %s where day >= now() - interval '30 days'`, 'task_stats'],
    ['task_stats, whole log', `select * from %s`, 'task_stats'],
  ] as const;
  console.log(`\n| read | plain view (ms) | materialized (ms) |\n|---|---:|---:|`);
  for (const [label, text, view] of reads) {
    const plain = await median(() => admin.query(text.replace('%s', view)));
    const materialized = await median(() => admin.query(text.replace('%s', `mat_${view}`)));
    console.log(`| ${label} | ${plain.toFixed(1)} | ${materialized.toFixed(1)} |`);
  }
  // chains.list as the Chains page asks for it (26 rows: a page of 25 and one that says another page exists), on the
  // plain view: ids first, then one summary per id.
  const reader = await openDatabase({ kind: 'postgres', url, searchPath: schema, poolSize: 1 });
  try {
    const { rows: deep } = await admin.query<{ chain_id: string }>(
      `select chain_id from inference_log order by chain_id desc offset 100000 limit 1`,
    );
    const pages = [
      ['first page', {}],
      ['a page deep in the log', { cursor: deep[0]?.chain_id }],
      ['status failed', { status: 'failed' }],
      ['status succeeded', { status: 'succeeded' }],
      ['name of a chain row', { name: 'support-inbox triage' }],
      ['name of a first call', { name: 'intent recognition' }],
      ['name no chain has (scans every chain id)', { name: 'entity extraction' }],
    ] as const;
    console.log(`\n| chains.list, 26 rows | ms |\n|---|---:|`);
    for (const [label, filters] of pages) {
      const listed = await median(() => listChainsWithTotals(reader.db, { ...filters, limit: 26 }));
      console.log(`| ${label} | ${listed.toFixed(1)} |`);
    }
  } finally {
    await reader.close();
  }
  console.log(
    `\nbuilding mat_chain_summary: ${refreshChains.toFixed(0)} ms; refresh concurrently: ${refreshConcurrently.toFixed(0)} ms`,
  );
  console.log(`building mat_task_stats: ${refreshStats.toFixed(0)} ms`);
} finally {
  await admin.query(`drop schema if exists ${schema}, ${jobsSchemaFor(schema)} cascade`);
  await admin.end();
}

async function seed(callCount: number): Promise<void> {
  // Call g belongs to chain g / 3 and is its step g % 3; chains are spread evenly over the last 60 days.
  await admin.query(
    `insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, error, input_tokens, output_tokens,
                                cost_usd, latency_ms, created_at, finished_at)
     select gen_random_uuid(), md5('chain' || (g / 3))::uuid,
            (array['intent recognition', 'entity extraction', 'reply drafting'])[g % 3 + 1],
            case when (g / 3) % 4 = 3 then 'anthropic' else 'openai' end,
            (array['gpt-4.1-mini', 'gpt-4.1', 'gpt-4o-mini', 'claude-sonnet-4-5'])[(g / 3) % 4 + 1],
            case when g % 10 = 0 or g % 97 = 0 then 'error' else 'ok' end, 1, '{}',
            case when g % 10 = 0 then '{"class":"OutputValidationError"}'::jsonb when g % 97 = 0 then '{"class":"ProviderError"}'::jsonb end,
            200 + g % 300, 50 + g % 200, (g % 50) * 0.00001, 300 + (g % 1000) * 3 + (g % 7) * 500,
            started, started + interval '1 second'
     from generate_series(0, $1::int - 1) as g,
          lateral (select now() - interval '60 days' * (1 - (g / 3)::double precision / ($1::int / 3)) + (g % 3) * interval '2 seconds' as started) as t`,
    [callCount],
  );
  // The second attempt of every call whose first answer failed the schema.
  await admin.query(
    `insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, input_tokens, output_tokens, cost_usd,
                                latency_ms, created_at, finished_at)
     select gen_random_uuid(), chain_id, name, provider, model, 'ok', 2, '{}', input_tokens + 100, output_tokens, cost_usd,
            latency_ms, finished_at, finished_at + interval '1 second'
     from inference_log where error->>'class' = 'OutputValidationError'`,
  );
  // Two chains in three are the demo's, with a chain row.
  await admin.query(
    `insert into chain (id, name, status, input, created_at, finished_at)
     select chain_id, 'support-inbox triage', 'succeeded', '{}', min(created_at), max(finished_at)
     from inference_log group by chain_id having abs(hashtext(chain_id::text)) % 3 > 0`,
  );
  await admin.query(`analyze`);
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const timings: number[] = [];
  for (let run = 0; run < RUNS; run++) timings.push(await time(work));
  timings.sort((left, right) => left - right);
  return timings[Math.floor(RUNS / 2)] ?? Number.NaN;
}
