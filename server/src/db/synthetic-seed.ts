import { randomBytes } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { enableTriggers, type Step, removeForBulkLoad, restoreForeignKey, restoreIndex, untimed } from './bulk-load.js';
import type { Db } from './client.js';
import { rollUpTaskStatsIn, TASK_STATS_STALE_SETTING } from './queries/task-stats-rollup.js';
import {
  createCallPlan,
  createChainPlan,
  createRequestPlan,
  createSpanPlan,
  pickIntent,
  MESSAGES,
  planAttempts,
  uuidV7At,
} from './synthetic-seed-plan.js';
import {
  createStaging,
  dropStaging,
  lockSeed,
  markSeededDaysStale,
  prepareSeedTransaction,
  recordRemoved,
  seedStagingSchema,
  undoUnfinishedSeed,
  unlockSeed,
} from './synthetic-seed-staging.js';
import { allSettled, type Lanes, withLanes } from './work-lanes.js';

/** What `seedSyntheticData` wrote. */
export interface SyntheticSeedCounts {
  logs: number;
  /** Distinct chain ids in the log written. */
  chains: number;
  /** Chains with a `chain` row (the demo's); the rest exist only in the log, as `npm run ask` calls do. */
  chainRows: number;
  chainEvents: number;
  messages: number;
  triages: number;
  replyDrafts: number;
}

export interface SyntheticSeedOptions {
  /** Exactly this many inference_log rows. */
  logs: number;
  /** The newest chain ends before this time (default: now); the oldest starts 60 days before it. */
  now?: Date;
  /** PostgreSQL's setseed(), in [-1, 1]: the same seed on the same database version writes the same shapes. */
  seed?: number;
  /** Runs each part of the seed (a statement or a few); pass one to time them. */
  step?: Step;
  /**
   * Connections to work on (default 1). One: the whole seed is one transaction, and a failure leaves nothing behind.
   * Two (PostgreSQL; PGlite is one session, and refuses two with SingleSessionError before anything is written):
   * independent parts run at once, each committing as it ends, so others see the seed's rows (and its tables without
   * their indexes, foreign keys and chain_event's notification, see removeForBulkLoad) while it runs; a seed that
   * fails undoes what it committed, and one that died is undone by the next (see undoUnfinishedSeed). When several
   * parts fail at once, it throws an AggregateError of their errors, the first as its cause.
   */
  connections?: 1 | 2;
}

// inference_log first: its size decides whether the tables are loaded in bulk (see removeForBulkLoad).
const SEEDED_TABLES = ['inference_log', 'chain', 'chain_event', 'inbox_message', 'triage', 'reply_draft'] as const;

// The tables each seeded table's foreign keys point to (the migration chains).
const PARENT_TABLES: Partial<Record<string, string[]>> = {
  inbox_message: ['chain'],
  triage: ['chain', 'inbox_message'],
  reply_draft: ['chain', 'inbox_message'],
  chain_event: ['chain'],
};

// Attempts per chain come out near 2.7 (three calls in a demo chain, one or two outside it, retries, failures):
// generating chains for 2.4 each leaves a margin, and chains drawn at random are left out until `logs` remain.
const ATTEMPTS_PER_CHAIN_ESTIMATE = 2.4;

/**
 * Fills the database with realistic synthetic chains, set-based (`insert … select … from generate_series`): demo
 * chains (three calls, a `chain` row, its events, an inbox message, a triage and a reply draft as far as the chain
 * got) and chains of plain `ask()` calls (log rows only), over 60 days and several providers and models, with
 * validation retries (attempt 2, 3), provider errors, refusals, truncations, timeouts, interrupted chains, a long tail
 * of latencies, token counts and costs from list prices. Adds to what is there. Throws when another seed is writing
 * into the same schema, and SingleSessionError when two connections are asked of PGlite.
 */
export async function seedSyntheticData(db: Db, options: SyntheticSeedOptions): Promise<SyntheticSeedCounts> {
  const logs = Math.floor(options.logs);
  if (!(logs >= 1)) throw new RangeError(`the seed needs at least one log row, not ${options.logs}`);
  const plan: Plan = {
    logs,
    chains: Math.ceil(logs / ATTEMPTS_PER_CHAIN_ESTIMATE) + 10,
    now: (options.now ?? new Date()).toISOString(),
    seed: options.seed ?? 0.42,
    staging: await seedStagingSchema(db),
    // Below 2^62 (see uuidV7At).
    salt: (randomBytes(8).readBigUInt64BE() >> 2n).toString(),
  };
  const connections = options.connections ?? 1;
  // One connection: PostgreSQL may build a btree index with parallel workers. Two: the other core is taken.
  const prepare = (transaction: Db) => prepareSeedTransaction(transaction, plan.staging, connections === 1);
  return withLanes(db, connections, prepare, options.step ?? untimed, async (lanes) => {
    await lanes.run(0, 'take the seed lock', (transaction) => lockSeed(transaction, plan.staging, lanes.atomic));
    try {
      await lanes.run(0, 'undo an unfinished seed, if any', (transaction) =>
        undoUnfinishedSeed(transaction, plan.staging),
      );
      await lanes.run(0, 'create the staging schema', (transaction) => createStaging(transaction, plan.staging));
      return await writeOrUndo(lanes, plan);
    } finally {
      // A lock whose connection died went with it: the seed's own outcome is what to report.
      if (!lanes.atomic)
        await lanes
          .run(0, 'release the seed lock', (transaction) => unlockSeed(transaction, plan.staging))
          .catch(() => {});
    }
  });
}

interface Plan {
  logs: number;
  chains: number;
  now: string;
  seed: number;
  staging: string;
  salt: string;
}

/** On two lanes, a failure undoes what the parts that ended had committed (one lane rolls back by itself). */
async function writeOrUndo(lanes: Lanes, plan: Plan): Promise<SyntheticSeedCounts> {
  try {
    return await write(lanes, plan);
  } catch (error) {
    if (lanes.atomic) throw error;
    try {
      await lanes.run(0, 'undo the seed', (transaction) => undoUnfinishedSeed(transaction, plan.staging));
    } catch (undoError) {
      throw new Error(
        `the seed failed (${String(error)}), and undoing what it wrote failed too (${String(undoError)}): the next seed undoes it`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function write(lanes: Lanes, plan: Plan): Promise<SyntheticSeedCounts> {
  const { staging, salt } = plan;
  // The plan draws every random number of the rows' shapes, on one connection after setseed(): the same seed, the
  // same shapes.
  await lanes.run(0, 'plan chains', async (db) => {
    await sql`select setseed(${plan.seed})`.execute(db);
    await createChainPlan(db, staging, plan.chains, plan.now, salt);
  });
  await lanes.run(0, 'plan calls', (db) => createCallPlan(db, staging, plan.logs, salt));
  // Each half of the chains' attempts on a lane, from a seed of its own (the same on one lane as on two).
  const half = Math.ceil(plan.chains / 2);
  const firstHalf = sql`seed_call.c <= ${half}`;
  const secondHalf = sql`seed_call.c > ${half}`;
  await allSettled([
    lanes.run(0, 'plan attempts, first half of the chains', async (db) => {
      await sql`select setseed(${plan.seed})`.execute(db);
      await planAttempts(db, salt, firstHalf);
    }),
    lanes.run(1, 'plan attempts, second half of the chains', async (db) => {
      // Another seed in [-1, 1], never the same: the halves draw different numbers.
      await sql`select setseed(${plan.seed > 0 ? plan.seed - 1 : plan.seed + 1})`.execute(db);
      await planAttempts(db, salt, secondHalf);
    }),
  ]);
  const counts = await lanes.run(0, 'plan requests and chain spans', async (db) => {
    await sql`analyze seed_attempt`.execute(db);
    await createRequestPlan(db, staging);
    await createSpanPlan(db, staging);
    return countPlanned(db);
  });
  if (counts.logs < plan.logs)
    throw new Error(`the seed planned ${counts.logs} log rows, fewer than the ${plan.logs} asked for`);
  const { removed, lastEventId } = await lanes.run(0, 'drop indexes, foreign keys and triggers', async (db) => {
    // The task_stats triggers stay on, skipping the seed's rows (see prepareSeedTransaction): a server writing
    // meanwhile still marks the days it changes.
    const removed = await removeForBulkLoad(db, SEEDED_TABLES, plan.logs, {
      triggersSwitchedOffBy: TASK_STATS_STALE_SETTING,
    });
    await recordRemoved(db, removed);
    const { rows } = await sql<{ id: string }>`select coalesce(max(id), 0)::text as id from chain_event`.execute(db);
    return { removed, lastEventId: rows[0]?.id ?? '0' };
  });
  const jobs = new Jobs();
  // Two halves of the chains' log rows, one per lane, then the full-text GIN index, the longest part (one core
  // computes an English tsvector of every row): it runs while the other lane writes the demo's rows.
  const logWritten = [
    jobs.add('insert inference_log, first half of the chains', [], (db) => insertLogRows(db, sql`a.c <= ${half}`)),
    jobs.add('insert inference_log, second half of the chains', [], (db) => insertLogRows(db, sql`a.c > ${half}`)),
  ];
  const indexes = removed.indexes.map((index) => ({ index, gin: /\busing gin\b/i.test(index.definition) }));
  const indexesBuilt: Job[] = [];
  const restoreIndexes = (gin: boolean, tables: (table: string) => boolean) => {
    for (const { index } of indexes.filter((entry) => entry.gin === gin && tables(entry.index.table))) {
      const after = index.table === 'inference_log' ? logWritten : (tableWritten.get(index.table) ?? []);
      indexesBuilt.push(jobs.add(`create index ${index.name}`, after, (db) => restoreIndex(db, index)));
    }
  };
  const tableWritten = new Map<string, Job[]>();
  restoreIndexes(true, (table) => table === 'inference_log');
  let chainEvents = 0;
  for (const { name, table, statement } of demoStatements(lastEventId, salt)) {
    // Where the foreign keys stay (a seed into a large database), a row waits for the committed row it points to.
    const parents = (PARENT_TABLES[table] ?? []).flatMap((parent) => tableWritten.get(parent) ?? []);
    const job = jobs.add(`insert ${name}`, parents, async (db) => {
      const written = await statement.execute(db);
      if (table === 'chain_event') chainEvents += Number(written.numAffectedRows ?? 0);
    });
    tableWritten.set(table, [...(tableWritten.get(table) ?? []), job]);
  }
  jobs.add('move the chain_event identity past the events', tableWritten.get('chain_event') ?? [], (db) =>
    sql`select setval(pg_get_serial_sequence('chain_event', 'id'), (select max(id) from chain_event))`.execute(db),
  );
  const rolledUp = jobs.add('roll up task_stats', logWritten, async (db) => {
    await markSeededDaysStale(db);
    await rollUpTaskStatsIn(db);
  });
  restoreIndexes(false, (table) => table === 'inference_log');
  restoreIndexes(false, (table) => table !== 'inference_log');
  restoreIndexes(true, (table) => table !== 'inference_log');
  const everyRowWritten = [...logWritten, ...[...tableWritten.values()].flat()];
  for (const key of removed.foreignKeys) {
    jobs.add(`add foreign key ${key.name}`, everyRowWritten, (db) => restoreForeignKey(db, key));
  }
  // The planner's statistics of what the seed wrote, so the first queries on it are planned for its size (where no
  // autovacuum runs, or before it comes round: a view over task_stats read 20,000 seeded rows in 1.8 s without them,
  // 15 ms with). ANALYZE reads a sample, and the expression indexes' (the full-text one) of it.
  for (const table of [...SEEDED_TABLES, 'task_stats_daily', 'task_stats_stale_day']) {
    jobs.add(`analyze ${table}`, [...everyRowWritten, ...indexesBuilt, rolledUp], (db) =>
      sql`analyze ${sql.table(table)}`.execute(db),
    );
  }
  await jobs.run(lanes);
  // Last, in one transaction: the triggers back on, and the staging schema gone (the seed is no longer undone).
  await lanes.run(0, 'switch triggers on and drop the staging schema', async (db) => {
    await enableTriggers(db, removed.triggers);
    await dropStaging(db, staging);
  });
  return { ...counts, chainEvents };
}

interface Job {
  name: string;
  after: readonly Job[];
  run: (db: Db) => Promise<unknown>;
  done: Promise<void>;
  settle: (error?: unknown) => void;
}

/**
 * The parts that follow the plan, in an order each lane may take them in (every part after those it waits for):
 * each lane takes the next part, waits for what it waits for, runs it, and so on until none is left or one failed.
 */
class Jobs {
  private readonly jobs: Job[] = [];

  add(name: string, after: readonly Job[], run: (db: Db) => Promise<unknown>): Job {
    let settle: (error?: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    // Awaited through the lanes; this keeps a failure seen there from also being reported as unhandled.
    done.catch(() => undefined);
    const job = { name, after, run, done, settle };
    this.jobs.push(job);
    return job;
  }

  async run(lanes: Lanes): Promise<void> {
    const queue = [...this.jobs];
    let failed = false;
    const drain = async (lane: number) => {
      for (let job = queue.shift(); job && !failed; job = queue.shift()) {
        try {
          await Promise.all(job.after.map((before) => before.done));
          await lanes.run(lane, job.name, job.run);
          job.settle();
        } catch (error) {
          failed = true;
          job.settle(error);
          throw error;
        }
      }
    };
    await allSettled(Array.from({ length: lanes.count }, (_, lane) => drain(lane)));
  }
}

async function countPlanned(db: Db): Promise<Omit<SyntheticSeedCounts, 'chainEvents'>> {
  const { rows } = await sql<Omit<SyntheticSeedCounts, 'chainEvents'>>`
    select (select count(*)::int from seed_attempt) as logs,
           (select count(*)::int from seed_span) as "chains",
           (select count(*)::int from seed_span where demo) as "chainRows",
           (select count(*)::int from seed_span where demo) as messages,
           (select count(*)::int from seed_attempt where demo and name = 'entity extraction' and status = 'ok') as triages,
           (select count(*)::int from seed_attempt where demo and name = 'reply drafting' and status = 'ok') as "replyDrafts"`.execute(
    db,
  );
  const counts = rows[0];
  if (!counts) throw new Error('the seed could not count what it planned');
  return counts;
}

/** The log row of every planned attempt of the chains `chains` picks. */
async function insertLogRows(db: Db, chains: RawBuilder<unknown>): Promise<void> {
  await sql`
    insert into inference_log (id, chain_id, name, provider, model, status, attempt, call_id, request, response, output,
                               error, input_tokens, output_tokens, cost_usd, price_source, latency_ms, provider_request_id,
                               created_at, finished_at)
    select a.id, a.chain_id, a.name, model.provider, model.model, a.status, a.attempt, a.call_id,
           request.request,
           case when a.error_class = 'ProviderError' then '{"error":{"type":"overloaded_error","message":"Overloaded"}}'::jsonb
                when a.error_class in ('ProviderTimeoutError', 'InterruptedError') then null
                else jsonb_build_object('id', 'resp_' || substr(md5(a.id::text), 1, 20), 'model', model.model,
                       'usage', jsonb_build_object('input_tokens', a.input_tokens, 'output_tokens', a.output_tokens)) end,
           a.output, a.error, a.input_tokens, a.output_tokens, a.cost_usd,
           -- The seed's own list prices; offline costs nothing. What the app writes is null only for rows from before
           -- the column.
           case when model.provider = 'offline' then 'offline' when a.cost_usd is not null then 'seed' end,
           a.latency_ms,
           case when model.provider <> 'offline' and a.error_class is distinct from 'ProviderTimeoutError' then 'req_' || substr(md5(a.id::text), 1, 24) end,
           a.created_at, a.created_at + a.latency_ms * interval '1 millisecond'
    -- In about time order (the chains' order), with no sort of the wide rows: where the indexes were kept, each grows
    -- at its end instead of at random pages.
    from seed_attempt as a
    join seed_request as request on request.name = a.name and request.message_no = a.c % 8 and request.model_no = a.model_no
    join seed_model as model on model.model_no = a.model_no
    where ${chains}`.execute(db);
}

/**
 * The demo's rows for each demo chain the log reached: its `chain` row, inbox message, triage (once entity extraction
 * succeeded), reply draft (once reply drafting did) and events, each statement with the table it writes, the longest
 * first after the rows others point to. Event ids are given, after `lastEventId`, not drawn from the identity in insertion order: each chain's ids
 * then follow its story without sorting every event.
 */
function demoStatements(
  lastEventId: string,
  salt: string,
): { name: string; table: string; statement: RawBuilder<unknown> }[] {
  const subject = sql`(array['Order A-1042', 'Double charge', 'Broken blender', 'New address', 'Cancel', 'Logged out', 'Shipping abroad', 'Refund'])[1 + ch.c % 8]`;
  const status = sql`case when ch.fail_call is null then 'succeeded' when ch.fail_class = 'InterruptedError' then 'interrupted' else 'failed' end`;
  const chainError = sql`case when ch.fail_call is not null then jsonb_build_object('class', ch.fail_class,
    'message', 'step ' || ch.fail_call || ' (' || ch.tasks[ch.fail_call] || ') failed: ' || ch.fail_class) end`;
  // Slot 0 is chain_started, 2k-1 and 2k step k's start and end, 7 chain_finished: 8 ids per chain.
  const eventId = (slot: RawBuilder<unknown>) => sql`${lastEventId}::bigint + ch.c::bigint * 8 + ${slot}`;
  return [
    {
      name: 'chain',
      table: 'chain',
      statement: sql`
    insert into chain (id, name, status, input, error, created_at, finished_at)
    select ch.chain_id, 'support-inbox triage', ${status},
           jsonb_build_object('from', 'customer' || ch.c % 5000 || '@example.com', 'subject', ${subject}, 'body', ${MESSAGES}[1 + ch.c % 8]),
           ${chainError}, ch.started, span.last_at
    from seed_span as span join seed_chain as ch on ch.c = span.c
    where span.demo`,
    },
    {
      name: 'inbox_message',
      table: 'inbox_message',
      statement: sql`
    insert into inbox_message (id, chain_id, from_address, subject, body, created_at)
    select ch.message_id, ch.chain_id, 'customer' || ch.c % 5000 || '@example.com', ${subject}, ${MESSAGES}[1 + ch.c % 8], ch.started
    from seed_span as span join seed_chain as ch on ch.c = span.c
    where span.demo`,
    },
    {
      name: 'chain_event step_finished and step_failed',
      table: 'chain_event',
      statement: sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`2 * a.call_no`)}, ch.chain_id, case when a.status = 'ok' then 'step_finished' else 'step_failed' end,
             case when a.status = 'ok' then jsonb_build_object('type', 'step_finished', 'step', a.call_no, 'name', a.name, 'output', a.output,
                    'logId', a.id, 'provider', model.provider, 'model', model.model, 'latencyMs', a.latency_ms, 'inputTokens', a.input_tokens,
                    'outputTokens', a.output_tokens, 'costUsd', a.cost_usd::text)
                  else jsonb_build_object('type', 'step_failed', 'step', a.call_no, 'name', a.name, 'logId', a.id,
                    'error', jsonb_build_object('class', a.error->>'class', 'message', a.error->>'message')) end,
             a.created_at + a.latency_ms * interval '1 millisecond'
      from seed_attempt as a join seed_chain as ch on ch.c = a.c join seed_model as model on model.model_no = a.model_no
      where a.demo and a.last_attempt`,
    },
    {
      name: 'chain_event step_started',
      table: 'chain_event',
      statement: sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`2 * a.call_no - 1`)}, ch.chain_id, 'step_started',
             jsonb_build_object('type', 'step_started', 'step', a.call_no, 'name', a.name), a.created_at
      from seed_attempt as a join seed_chain as ch on ch.c = a.c
      where a.demo and a.attempt = 1`,
    },
    {
      name: 'triage',
      table: 'triage',
      statement: sql`
    insert into triage (id, chain_id, message_id, intent, confidence, urgency, entities, created_at)
    select ${uuidV7At(sql`e.created_at`, salt)}, ch.chain_id, ch.message_id, ${pickIntent(sql.ref('ch.r_intent'))},
           round((0.55 + ch.r_intent * 0.44)::numeric, 3), case when ch.r_intent > 0.85 then 'high' else 'normal' end, e.output,
           e.created_at + e.latency_ms * interval '1 millisecond'
    from seed_attempt as e join seed_chain as ch on ch.c = e.c
    where e.demo and e.name = 'entity extraction' and e.status = 'ok'`,
    },
    {
      name: 'reply_draft',
      table: 'reply_draft',
      statement: sql`
    insert into reply_draft (id, chain_id, message_id, subject, body, tone, needs_human, created_at)
    select ${uuidV7At(sql`r.created_at`, salt)}, ch.chain_id, ch.message_id, 'Re: ' || ${subject},
           'Hello, thank you for writing. We are on it.', 'helpful', r.r_pick > 0.9, r.created_at + r.latency_ms * interval '1 millisecond'
    from seed_attempt as r join seed_chain as ch on ch.c = r.c
    where r.demo and r.name = 'reply drafting' and r.status = 'ok'`,
    },
    {
      name: 'chain_event chain_started',
      table: 'chain_event',
      statement: sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`0`)}, ch.chain_id, 'chain_started', '{"type":"chain_started"}', ch.started
      from seed_span as span join seed_chain as ch on ch.c = span.c where span.demo`,
    },
    {
      name: 'chain_event chain_finished',
      table: 'chain_event',
      statement: sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`7`)}, ch.chain_id, 'chain_finished',
             jsonb_build_object('type', 'chain_finished', 'status', ${status}, 'error', ${chainError}), span.last_at
      from seed_span as span join seed_chain as ch on ch.c = span.c where span.demo`,
    },
  ];
}
