import { readFileSync } from 'node:fs';
import { INTENTS } from '@chainlog/shared';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyTotalsBesideLog } from '../../test/task-stats-totals.js';
import { openTestDatabase } from '../../test/test-database.js';
import { getChainDetail } from '../services/chains.js';
import type { Step } from './bulk-load.js';
import type { DatabaseHandle } from './client.js';
import { insertChainEvent } from './queries/chains.js';
import { type SyntheticSeedCounts, seedSyntheticData } from './synthetic-seed.js';

const LOGS = 2_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
/** PostgreSQL: two connections, as the CLI seeds it; PGlite has one. */
const connectionsOf = (database: DatabaseHandle) => (database.kind === 'postgres' ? 2 : 1);

/** Every ```sql block of the cookbook, by the ### heading above it. */
function cookbookRecipes(): [string, string][] {
  const markdown = readFileSync(new URL('../../../docs/sql-cookbook.md', import.meta.url), 'utf8');
  return [...markdown.matchAll(/^### (.+)\n(?:(?!^### )[\s\S])*?^```sql\n([\s\S]*?)^```$/gm)].map((match) => [
    match[1] ?? '',
    match[2] ?? '',
  ]);
}

describe('npm run db:seed: synthetic chains written set-based', () => {
  let database: DatabaseHandle;
  let counts: SyntheticSeedCounts;
  let catalogBefore: unknown[];
  let analyzedBefore: string[];
  const query = async <Row>(text: string, parameters: unknown[] = []) =>
    (await database.db.executeQuery<Row>(CompiledQuery.raw(text, parameters))).rows;

  beforeAll(async () => {
    database = await openTestDatabase();
    catalogBefore = await catalog();
    analyzedBefore = await analyzed();
    counts = await seedSyntheticData(database.db, { logs: LOGS, now: NOW, connections: connectionsOf(database) });
  });
  afterAll(() => database?.close());

  /** The indexes, constraints and triggers of the schema, with their definitions and whether they are enabled. */
  const catalog = () =>
    query(`
      select 'index' as kind, indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema()
      union all
      select 'constraint', conname, pg_get_constraintdef(oid) from pg_constraint where connamespace = current_schema()::regnamespace
      union all
      select 'trigger', tgname, tgenabled::text from pg_trigger
      where not tgisinternal and tgrelid in (select oid from pg_class where relnamespace = current_schema()::regnamespace)
      order by 1, 2, 3`);

  it('puts back every index, foreign key and trigger it took away for the bulk load', async () => {
    const after = await catalog();
    expect(after).toEqual(catalogBefore);
    expect(catalogBefore).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'index', name: 'inference_log_document_idx' }),
        expect.objectContaining({ kind: 'constraint', name: 'chain_event_chain_id_fkey' }),
        expect.objectContaining({ kind: 'trigger', name: 'chain_event_notify', definition: 'O' }),
      ]),
    );
  });

  /** The tables of the schema the planner has column statistics of (ANALYZE made them). */
  const analyzed = async () =>
    (
      await query<{ table: string }>(`
        select distinct tablename as table from pg_stats where schemaname = current_schema() order by 1`)
    ).map((row) => row.table);

  it('leaves the planner statistics of every table it wrote', async () => {
    expect(analyzedBefore).not.toContain('inference_log');
    expect(await analyzed()).toEqual(
      expect.arrayContaining([
        'inference_log',
        'chain',
        'chain_event',
        'inbox_message',
        'triage',
        'reply_draft',
        'task_stats_daily',
      ]),
    );
  });

  it('writes exactly the log rows asked for, and says what else it wrote', async () => {
    const [tables] = await query<Record<string, number>>(`
      select (select count(*)::int from inference_log) as logs, (select count(distinct chain_id)::int from inference_log) as chains,
             (select count(*)::int from chain) as "chainRows", (select count(*)::int from chain_event) as "chainEvents",
             (select count(*)::int from inbox_message) as messages, (select count(*)::int from triage) as triages,
             (select count(*)::int from reply_draft) as "replyDrafts"`);
    expect(tables).toEqual(counts);
    expect(counts.logs).toBe(LOGS);
  });

  it('spreads realistic calls over 60 days: several tasks, providers and models, retries, errors, a tail of latencies', async () => {
    const [shape] = await query<Record<string, number>>(
      `
      select count(distinct name)::int as tasks, count(distinct provider)::int as providers, count(distinct model)::int as models,
             count(*) filter (where attempt > 1)::int as retries, count(*) filter (where status = 'error')::int as errors,
             count(distinct error->>'class')::int as error_classes, count(*) filter (where status = 'pending')::int as pending,
             extract(epoch from max(finished_at) - min(created_at))::int / 86400 as days,
             (extract(epoch from $1::timestamptz - max(finished_at)))::int as seconds_before_now,
             percentile_cont(0.5) within group (order by latency_ms) as p50_ms, max(latency_ms) as max_ms,
             count(*) filter (where cost_usd > 0)::int as priced, count(*) filter (where input_tokens is null)::int as without_usage
      from inference_log`,
      [NOW],
    );
    expect(shape).toMatchObject({ tasks: 6, providers: 3, models: 6, pending: 0 });
    expect(shape?.retries).toBeGreaterThan(LOGS * 0.03);
    expect(shape?.errors).toBeGreaterThan(LOGS * 0.05);
    expect(shape?.error_classes).toBeGreaterThanOrEqual(6);
    expect(shape?.days).toBeGreaterThanOrEqual(50);
    expect(shape?.seconds_before_now).toBeGreaterThan(0);
    expect(shape?.max_ms).toBeGreaterThan(5 * (shape?.p50_ms ?? 0));
    expect(shape?.priced).toBeGreaterThan(LOGS * 0.8);
    expect(shape?.without_usage).toBeGreaterThan(0);
    const names = await query<{ name: string }>(`select distinct name from inference_log order by name`);
    expect(names.map((row) => row.name)).toEqual(
      expect.arrayContaining(['intent recognition', 'entity extraction', 'reply drafting']),
    );
  });

  it("draws intents from the app's own list, in triage rows and in the intent recognition outputs alike", async () => {
    const rows = await query<{ intent: string }>(`
      select intent from triage
      union
      select output->>'intent' from inference_log where name = 'intent recognition' and status = 'ok'`);
    const intents = rows.map((row) => row.intent);
    expect(intents.length).toBeGreaterThan(3);
    expect(intents.filter((intent) => !(INTENTS as readonly string[]).includes(intent))).toEqual([]);
  });

  it('says where each cost came from, as the app does: offline, or its own list prices', async () => {
    const rows = await query<{ price_source: string | null; priced: boolean; rows: number }>(`
      select price_source, cost_usd is not null as priced, count(*)::int as rows
      from inference_log group by 1, 2 order by 1, 2`);
    expect(rows.filter((row) => row.priced && row.price_source === null)).toEqual([]);
    expect(rows.map((row) => row.price_source)).toEqual(expect.arrayContaining(['offline', 'seed']));
  });

  it("gives ids that sort by time, as the app's UUID v7 ids do", async () => {
    const [order] = await query<{ out_of_order: number }>(`
      select count(*)::int as out_of_order from (
        select created_at < lag(created_at) over (order by id) - interval '1 millisecond' as earlier from inference_log
      ) as pairs where earlier`);
    expect(order?.out_of_order).toBe(0);
  });

  it('retries only within a call: each attempt after the first follows a failed one of its call, which names it', async () => {
    const [orphans] = await query<{ count: number }>(`
      select count(*)::int from inference_log as retry
      where attempt > 1 and not exists (
        select 1 from inference_log as failed
        where coalesce(failed.call_id, failed.id) = retry.call_id and failed.chain_id = retry.chain_id
          and failed.name = retry.name and failed.attempt = retry.attempt - 1
          and failed.status = 'error' and failed.created_at < retry.created_at)`);
    expect(orphans?.count).toBe(0);
    // Every call starts at attempt 1, named by it.
    const [calls] = await query<{ starts: number; calls: number; named: number }>(`
      select count(*) filter (where attempt = 1)::int as starts, count(distinct call_id)::int as calls,
             count(*) filter (where attempt = 1 and call_id = id)::int as named
      from inference_log`);
    expect(calls?.calls).toBe(calls?.starts);
    expect(calls?.named).toBe(calls?.starts);
  });

  it('gives most chains a chain row with its message, and leaves some only in the log; domain rows join by chain_id', async () => {
    expect(counts.chainRows).toBeGreaterThan(counts.chains / 2);
    expect(counts.chainRows).toBeLessThan(counts.chains);
    const [joins] = await query<Record<string, number>>(`
      select (select count(*)::int from chain where not exists (select 1 from inference_log where chain_id = chain.id)) as chains_without_logs,
             (select count(*)::int from chain where not exists (select 1 from inbox_message where chain_id = chain.id)) as chains_without_message,
             (select count(*)::int from triage join inbox_message as message on message.id = triage.message_id
               where message.chain_id <> triage.chain_id) as triages_of_another_chain,
             (select count(*)::int from reply_draft where not exists (select 1 from triage where triage.chain_id = reply_draft.chain_id)) as replies_without_triage,
             (select count(*)::int from chain_summary where has_chain_row) as summarised_with_row,
             (select count(*)::int from chain_summary where not has_chain_row) as summarised_from_log`);
    expect(joins).toEqual({
      chains_without_logs: 0,
      chains_without_message: 0,
      triages_of_another_chain: 0,
      replies_without_triage: 0,
      summarised_with_row: counts.chainRows,
      summarised_from_log: counts.chains - counts.chainRows,
    });
    const statuses = await query<{ status: string }>(`select distinct status from chain order by status`);
    expect(statuses.map((row) => row.status)).toEqual(expect.arrayContaining(['failed', 'succeeded']));
  });

  it("writes each demo chain's events in order, so its page shows the steps the log shows", async () => {
    const [retried] = await query<{ chain_id: string; attempts: number }>(`
      select log.chain_id, count(*)::int as attempts from inference_log as log join chain on chain.id = log.chain_id
      where chain.status = 'succeeded' group by log.chain_id having max(log.attempt) > 1 limit 1`);
    if (!retried) throw new Error('no succeeded demo chain with a retry was seeded');
    const detail = await getChainDetail(database.db, retried.chain_id, () => []);
    expect(detail?.recorded).toBe(true);
    expect(detail?.steps.map((step) => [step.name, step.status])).toEqual([
      ['intent recognition', 'succeeded'],
      ['entity extraction', 'succeeded'],
      ['reply drafting', 'succeeded'],
    ]);
    expect(detail?.logs).toHaveLength(retried.attempts);
    const [misordered] = await query<{ count: number }>(`
      select count(*)::int from (select created_at < lag(created_at) over (partition by chain_id order by id) as earlier from chain_event) as pairs
      where earlier`);
    expect(misordered?.count).toBe(0);
    // The identity goes on after the ids the seed gave.
    await expect(insertChainEvent(database.db, retried.chain_id, { type: 'chain_started' })).resolves.toMatchObject({
      chain_id: retried.chain_id,
    });
  });

  it('fits the views and the cookbook: every recipe returns rows, but the one about calls still pending', async () => {
    const [chainId] = await query<{ id: string }>(
      `select id from chain where status = 'succeeded' order by id desc limit 1`,
    );
    const empty: string[] = [];
    // The cookbook speaks of "yesterday" and "this week": read it as of the seed's now.
    for (const [heading, text] of cookbookRecipes()) {
      const asOfNow = text.replaceAll('now()', `'${NOW.toISOString()}'::timestamptz`);
      const rows = await query(
        asOfNow.replaceAll(":'chain_id'", '$1'),
        asOfNow.includes(":'chain_id'") ? [chainId?.id] : [],
      );
      if (rows.length === 0) empty.push(heading);
    }
    expect(empty).toEqual(['Calls waiting for their provider right now']);
    const stats = await sql<{ days: number }>`select count(distinct day)::int as days from task_stats`.execute(
      database.db,
    );
    expect(stats.rows[0]?.days).toBeGreaterThanOrEqual(50);
  });

  it('rolls task_stats up: its closed days are in the daily totals, as the log gives them', async () => {
    expect(await dailyTotalsBesideLog(database.db)).toEqual({ same: true, days: expect.any(Number) });
    expect((await dailyTotalsBesideLog(database.db)).days).toBeGreaterThanOrEqual(50);
  });

  it('refuses a count below one', async () => {
    await expect(seedSyntheticData(database.db, { logs: 0 })).rejects.toThrow(RangeError);
  });

  it('adds to what is there, with new ids, on a second run', async () => {
    const before = await query<{ count: number }>(`select count(*)::int from inference_log`);
    await seedSyntheticData(database.db, {
      logs: 100,
      now: new Date(NOW.getTime() - DAY),
      seed: -0.3,
      connections: connectionsOf(database),
    });
    const after = await query<{ count: number }>(`select count(*)::int from inference_log`);
    expect((after[0]?.count ?? 0) - (before[0]?.count ?? 0)).toBe(100);
    expect((await dailyTotalsBesideLog(database.db)).same).toBe(true);
  });
});

describe('npm run db:seed: a seed that fails', () => {
  let database: DatabaseHandle;
  const query = async <Row>(text: string) => (await database.db.executeQuery<Row>(CompiledQuery.raw(text))).rows;
  /** Rows of every seeded table, the indexes, constraints and enabled triggers, and whether a staging schema is left. */
  const state = async () => {
    const [rows] = await query<Record<string, number | boolean>>(`
      select (select count(*)::int from inference_log) as logs, (select count(*)::int from chain) as chains,
             (select count(*)::int from chain_event) as events, (select count(*)::int from inbox_message) as messages,
             (select count(*)::int from triage) as triages, (select count(*)::int from reply_draft) as drafts,
             (select count(*)::int from pg_indexes where schemaname = current_schema()) as indexes,
             (select count(*)::int from pg_constraint where connamespace = current_schema()::regnamespace) as constraints,
             (select count(*)::int from pg_trigger where not tgisinternal and tgenabled = 'O'
               and tgrelid in (select oid from pg_class where relnamespace = current_schema()::regnamespace)) as triggers,
             exists (select 1 from pg_namespace where nspname = current_schema() || '_seed') as staging`);
    return rows;
  };
  /** Throws in the parts named, as a failure of the database there would. */
  const failingAt =
    (...names: string[]): Step =>
    (name, work) =>
      names.some((failing) => name.endsWith(failing)) ? Promise.reject(new Error(`${name} failed`)) : work();

  beforeAll(async () => {
    database = await openTestDatabase();
    await seedSyntheticData(database.db, { logs: 300, now: NOW, seed: 0.1 });
  });
  afterAll(() => database?.close());

  it('leaves the database as it found it: rows, indexes, foreign keys, triggers, no staging schema', async () => {
    const before = await state();
    const seeding = seedSyntheticData(database.db, {
      logs: 1_000,
      now: NOW,
      seed: 0.2,
      connections: connectionsOf(database),
      step: failingAt('insert chain_event chain_finished'),
    });
    await expect(seeding).rejects.toThrow('insert chain_event chain_finished failed');
    expect(await state()).toEqual(before);
  });

  it('reports every part that failed at once, the first as the cause, and leaves the database as it found it', async () => {
    const before = await state();
    const halves = ['plan attempts, first half of the chains', 'plan attempts, second half of the chains'];
    const error = await seedSyntheticData(database.db, {
      logs: 1_000,
      now: NOW,
      seed: 0.6,
      connections: connectionsOf(database),
      step: failingAt(...halves),
    }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AggregateError);
    const errors = error instanceof AggregateError ? error.errors : [];
    expect(errors.map((each: unknown) => String(each))).toEqual(
      halves.map((half) => expect.stringMatching(new RegExp(`${half} failed$`))),
    );
    expect(error).toMatchObject({ cause: errors[0], message: expect.stringContaining(`${halves[0]} failed`) });
    expect(await state()).toEqual(before);
  });

  it("refuses a schema of its staging schema's name that no seed of this schema made, and leaves it", async () => {
    const [current] = await query<{ schema: string }>('select current_schema() as schema');
    const staging = `"${current?.schema}_seed"`;
    await query(`create schema ${staging}`);
    await query(`create table ${staging}.kept (id int)`);
    try {
      const seeding = seedSyntheticData(database.db, {
        logs: 100,
        now: NOW,
        seed: 0.5,
        connections: connectionsOf(database),
      });
      await expect(seeding).rejects.toThrow('is in the way');
      const [kept] = await query<{ kept: boolean }>(`select to_regclass('${staging}.kept') is not null as kept`);
      expect(kept?.kept).toBe(true);
    } finally {
      await query(`drop schema ${staging} cascade`);
    }
  });

  it('is undone by the next seed when it could not undo itself (its process died), which then seeds', async () => {
    const before = await state();
    const seeding = seedSyntheticData(database.db, {
      logs: 1_000,
      now: NOW,
      seed: 0.3,
      connections: connectionsOf(database),
      step: failingAt('insert triage', 'undo the seed'),
    });
    await expect(seeding).rejects.toThrow('insert triage failed');
    await seedSyntheticData(database.db, { logs: 200, now: NOW, seed: 0.4, connections: connectionsOf(database) });
    expect(await state()).toMatchObject({
      logs: Number(before?.logs) + 200,
      indexes: before?.indexes,
      constraints: before?.constraints,
      triggers: before?.triggers,
      staging: false,
    });
  });
});
