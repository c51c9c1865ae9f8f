import { type RawBuilder, sql } from 'kysely';
import { type Step, untimed, withBulkLoadIfSmall } from './bulk-load.js';
import type { Db } from './client.js';
import { lockTaskStats, rollUpTaskStatsIn } from './queries/task-stats-rollup.js';

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
}

// inference_log first: its size decides whether the tables are loaded in bulk (see withBulkLoadIfSmall).
const SEEDED_TABLES = ['inference_log', 'chain', 'chain_event', 'inbox_message', 'triage', 'reply_draft'] as const;

// Attempts per chain come out near 2.7 (three calls in a demo chain, one or two outside it, retries, failures):
// generating chains for 2.4 each leaves a margin, and chains drawn at random are left out until `logs` remain.
const ATTEMPTS_PER_CHAIN_ESTIMATE = 2.4;

/**
 * A UUID v7 whose time is `at` (so ids sort by time, as the app's own ids do): the milliseconds in hex, the version
 * nibble 7, then the rest of a random v4 UUID (whose variant bits v7 shares).
 */
function uuidV7At(at: RawBuilder<unknown>): RawBuilder<string> {
  const hex = sql`lpad(to_hex(floor(extract(epoch from ${at}) * 1000)::bigint), 12, '0')`;
  // Text slices, not a regular expression: this runs once per row, a few million times in a large seed.
  return sql<string>`(substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-7' || substr(gen_random_uuid()::text, 16))::uuid`;
}

/**
 * Fills the database with realistic synthetic chains, set-based (`insert … select … from generate_series`), in one
 * transaction: demo chains (three calls, a `chain` row, its events, an inbox message, a triage and a reply draft as
 * far as the chain got) and chains of plain `ask()` calls (log rows only), over 60 days and several providers and
 * models, with validation retries (attempt 2, 3), provider errors, refusals, truncations, timeouts, interrupted
 * chains, a long tail of latencies, token counts and costs from list prices. Adds to what is there.
 */
export async function seedSyntheticData(db: Db, options: SyntheticSeedOptions): Promise<SyntheticSeedCounts> {
  const logs = Math.floor(options.logs);
  if (!(logs >= 1)) throw new RangeError(`the seed needs at least one log row, not ${options.logs}`);
  const now = (options.now ?? new Date()).toISOString();
  const chains = Math.ceil(logs / ATTEMPTS_PER_CHAIN_ESTIMATE) + 10;
  const step = options.step ?? untimed;
  return db.transaction().execute(async (transaction) => {
    await sql`select setseed(${options.seed ?? 0.42})`.execute(transaction);
    // The windows below sort every attempt once: in memory, not in temp files. Index builds, likewise.
    await sql`set local work_mem = '256MB'`.execute(transaction);
    await sql`set local synchronous_commit = off`.execute(transaction);
    await sql`set local maintenance_work_mem = '1GB'`.execute(transaction);
    // Row estimates of generate_series make these statements look huge: compiling them took seconds, more than it saved.
    await sql`set local jit = off`.execute(transaction);
    // The seed marks the task_stats days it writes into itself, once each (see rollUpSeededDays), instead of a
    // trigger call per row.
    await sql`set local chainlog.task_stats_stale = 'off'`.execute(transaction);
    await step('plan chains', () => createChainPlan(transaction, chains, now));
    await step('plan attempts', () => createAttemptPlan(transaction, logs));
    const written = await withBulkLoadIfSmall(transaction, SEEDED_TABLES, logs, step, () =>
      writeRows(transaction, step),
    );
    if (written.logs < logs)
      throw new Error(`the seed planned ${written.logs} log rows, fewer than the ${logs} asked for`);
    await step('roll up task_stats', () => rollUpSeededDays(transaction));
    return written;
  });
}

/** One row per chain: when it starts, demo or not, which model, its tasks, and where it fails if it does. */
async function createChainPlan(db: Db, chains: number, now: string): Promise<void> {
  await sql`
    create temp table seed_model on commit drop as
    select * from (values
      (1, 'openai', 'gpt-4.1-mini', 'openai:gpt-4.1-mini', 0.40, 1.6, 0.9),
      (2, 'openai', 'gpt-4.1', 'openai:gpt-4.1', 2.0, 8.0, 1.3),
      (3, 'anthropic', 'claude-sonnet-4-5', 'anthropic:claude-sonnet-4-5', 3.0, 15.0, 1.5),
      (4, 'anthropic', 'claude-haiku-4-5', 'anthropic:claude-haiku-4-5', 1.0, 5.0, 0.7),
      (5, 'openai', 'gpt-5-mini', 'openai:gpt-5-mini', 0.25, 2.0, 1.8),
      (6, 'offline', 'default', 'openai:gpt-4.1-mini', 0.0, 0.0, 0.002)
    ) as model(model_no, provider, model, requested, input_per_million, output_per_million, speed)`.execute(db);
  // Chains arrive more often lately (the square root), and all end before now. Numbered in the order they start, so
  // every later table written in that order is written in about time order (as ids are), without sorting its rows.
  await sql`
    create temp table seed_chain on commit drop as
    select c, started, demo, tasks, model_no, r_intent, r_cut, ${uuidV7At(sql`started`)} as chain_id,
           case when demo then ${uuidV7At(sql`started`)} end as message_id,
           case when r_fail < 0.05 then 1 + floor(r_fail_at * cardinality(tasks))::int end as fail_call,
           case when r_fail_class < 0.45 then 'ProviderError' when r_fail_class < 0.60 then 'RefusalError'
                when r_fail_class < 0.75 then 'TruncationError' when r_fail_class < 0.85 then 'ProviderTimeoutError'
                when r_fail_class < 0.95 then 'OutputValidationError' else 'InterruptedError' end as fail_class
    from (
      select c, started, demo, r_fail, r_fail_at, r_fail_class, r_intent, r_cut,
             case when demo then array['intent recognition', 'entity extraction', 'reply drafting']
                  when r_ask < 0.30 then array['sentiment']
                  when r_ask < 0.55 then array['summarization']
                  when r_ask < 0.70 then array['language detection', 'summarization']
                  when r_ask < 0.85 then array['intent recognition']
                  else array['sentiment', 'intent recognition'] end as tasks,
             case when r_model < 0.40 then 1 when r_model < 0.55 then 2 when r_model < 0.75 then 3
                  when r_model < 0.87 then 4 when r_model < 0.95 then 5 else 6 end as model_no
      from (
        select row_number() over (order by started)::int as c, *
        from (
          select ${now}::timestamptz - interval '60 days' * (1 - sqrt(random())) - interval '15 minutes' as started,
                 random() < 0.75 as demo, random() as r_ask, random() as r_model,
                 random() as r_fail, random() as r_fail_at, random() as r_fail_class, random() as r_intent,
                 random() as r_cut
          from generate_series(1, ${chains}::int)
        ) as drawn
      ) as numbered
    ) as shaped`.execute(db);
  // Temp tables get no statistics by themselves: without them the joins below are planned as nested loops.
  await sql`analyze seed_chain`.execute(db);
}

const INTENTS = sql`(array['order_status', 'billing', 'refund', 'complaint', 'account', 'other'])`;

/**
 * One row per attempt, in chain order, exactly `logs` of them, with everything its log row says but the bulky
 * request and response: task, outcome, latency (log-normal, with a tail: one attempt in a hundred waits 5 to 20 times
 * longer), tokens, cost, output and error; each attempt starts when the previous one of its chain ended.
 */
async function createAttemptPlan(db: Db, logs: number): Promise<void> {
  // Draws are made in a subquery's select list: once per row (a lateral subquery that names no outer column would
  // be evaluated once for all of them).
  await sql`
    create temp table seed_call on commit drop as
    select c, call_no, tasks[call_no] as name, model_no,
           call_no = fail_call as fails, case when call_no = fail_call then fail_class end as fail_class,
           case when call_no = fail_call and fail_class = 'OutputValidationError' then 2
                when r_retry < case when tasks[call_no] = 'reply drafting' then 0.12 else 0.05 end
                  then case when r_retry_twice < 0.15 then 2 else 1 end
                else 0 end as retries
    from (
      select ch.*, call_no, random() as r_retry, random() as r_retry_twice
      from seed_chain as ch cross join lateral generate_series(1, coalesce(ch.fail_call, cardinality(ch.tasks))) as call_no
    ) as drawn`.execute(db);
  await sql`analyze seed_call`.execute(db);
  // More attempts are planned than asked for: whole chains, drawn at random (so every day keeps its share), are left
  // out until exactly `logs` remain, the last one drawn cut after its first attempts.
  await sql`
    create temp table seed_keep on commit drop as
    select c, greatest(0, least(attempts, drawn - (sum(attempts) over () - ${logs}::int)))::int as keep
    from (
      select c, attempts, sum(attempts) over (order by r_cut, c rows unbounded preceding) as drawn
      from (select c, sum(retries + 1)::int as attempts from seed_call group by c) as chain_attempts
      join seed_chain using (c)
    ) as drawn_chains`.execute(db);
  await sql`analyze seed_keep`.execute(db);
  const inputTokens = sql`(case name when 'reply drafting' then 780 when 'entity extraction' then 520 when 'summarization' then 1400 else 380 end
                           + floor(r_tokens * 300)::int + 160 * (attempt - 1))`;
  const outputTokens = sql`(case name when 'reply drafting' then 260 when 'entity extraction' then 110 when 'summarization' then 180 else 45 end
                            + floor(r_tokens * 120)::int)`;
  // A provider that failed before answering reports no usage.
  const answered = sql`(error_class is null or error_class in ('OutputValidationError', 'InvalidJsonError', 'TruncationError', 'RefusalError'))`;
  await sql`
    create temp table seed_attempt on commit drop as
    select c, started, demo, call_no, name, model_no, attempt, last_attempt, status, error_class, latency_ms, created_at, r_pick,
           ${uuidV7At(sql`created_at`)} as id,
           case when ${answered} then ${inputTokens} end as input_tokens,
           case when ${answered} then ${outputTokens} end as output_tokens,
           case when ${answered} then round(((${inputTokens}) * input_per_million + (${outputTokens}) * output_per_million) / 1000000, 8) end as cost_usd,
           case when status = 'ok' then case name
             when 'intent recognition' then jsonb_build_object('intent', ${INTENTS}[1 + floor(r_intent * 6)::int],
               'confidence', round((0.55 + r_intent * 0.44)::numeric, 3), 'urgency', case when r_intent > 0.85 then 'high' else 'normal' end,
               'rationale', 'The sender asks about their order.')
             when 'entity extraction' then jsonb_build_object('orderNumbers', jsonb_build_array('A-' || (1000 + c % 9000)), 'products', '[]'::jsonb,
               'people', '[]'::jsonb, 'dates', '[]'::jsonb, 'amounts', '[]'::jsonb)
             when 'reply drafting' then jsonb_build_object('subject', 'Re: your message', 'body', 'Hello, thank you for writing. We are on it.',
               'tone', 'helpful', 'needsHuman', r_pick > 0.9)
             when 'sentiment' then jsonb_build_object('sentiment', (array['negative', 'neutral', 'positive'])[1 + floor(r_pick * 3)::int],
               'score', round((r_pick * 2 - 1)::numeric, 2))
             when 'summarization' then jsonb_build_object('summary', 'The customer asks for help with an order.')
             else jsonb_build_object('language', (array['en', 'de', 'fr', 'es'])[1 + floor(r_pick * 4)::int], 'confidence', 0.97) end end as output,
           case when error_class is not null then jsonb_build_object(
             'class', error_class,
             'code', case error_class when 'ProviderError' then 'provider_error' when 'ProviderTimeoutError' then 'provider_timeout'
                       when 'OutputValidationError' then 'output_validation' when 'InvalidJsonError' then 'invalid_json'
                       when 'InvalidResponseBodyError' then 'invalid_response_body' when 'RefusalError' then 'refusal'
                       when 'TruncationError' then 'truncation' else 'interrupted' end,
             'message', case error_class when 'ProviderError' then 'the provider answered 529 Overloaded'
                          when 'ProviderTimeoutError' then 'the provider did not answer within 30000 ms'
                          when 'OutputValidationError' then 'the output does not match the schema: urgency: Invalid option'
                          when 'InvalidJsonError' then 'the output is not JSON: Unexpected token'
                          when 'InvalidResponseBodyError' then 'the provider answered 200 with a body that is not its JSON'
                          when 'RefusalError' then 'the model refused: I can''t help with that.'
                          when 'TruncationError' then 'the output was cut off at the token limit'
                          else 'the process making this call stopped before the call finished' end,
             'providerStatus', case when error_class = 'ProviderError' then 529 end) end as error
    from (
      select *, started + (coalesce(sum(latency_ms + 15) over (partition by c order by call_no, attempt
                                     rows between unbounded preceding and 1 preceding), 0) + 5) * interval '1 millisecond' as created_at
      from (
        select call.c, call.started, call.demo, call.r_intent, call.call_no, call.name, call.model_no, attempt,
               model.input_per_million, model.output_per_million,
               attempt = call.retries + 1 as last_attempt,
               row_number() over (partition by call.c order by call.call_no, attempt) as row_in_chain, call.keep,
               case when attempt <= call.retries then 'error' when call.fails then 'error' else 'ok' end as status,
               case when attempt <= call.retries then
                      case when r_class < 0.6 then 'OutputValidationError' when r_class < 0.9 then 'InvalidJsonError' else 'InvalidResponseBodyError' end
                    else call.fail_class end as error_class,
               -- An error that came before any answer took its own, shorter time; a timeout took the SDK's.
               case when attempt > call.retries and call.fail_class = 'ProviderError' then 150 + round(r_pick * 900)
                    when attempt > call.retries and call.fail_class = 'ProviderTimeoutError' then 30000
                    -- Box-Muller: a normal draw, for log-normal latencies around each task's and model's typical time.
                    else round((case call.name when 'intent recognition' then 900 when 'entity extraction' then 1200 when 'reply drafting' then 2600
                                               when 'sentiment' then 600 when 'summarization' then 2000 else 400 end)
                           * model.speed * exp(0.45 * sqrt(-2 * ln(1 - r_latency)) * cos(2 * pi() * r_angle))
                           * case when r_tail < 0.01 then 5 + 15 * r_tail * 100 else 1 end) end::double precision as latency_ms,
               r_tokens, r_pick
        from (
          select seed_call.*, seed_keep.keep, ch.started, ch.demo, ch.r_intent, attempt, random() as r_class, random() as r_latency, random() as r_angle,
                 random() as r_tail, random() as r_tokens, random() as r_pick
          from seed_call join seed_chain as ch on ch.c = seed_call.c join seed_keep on seed_keep.c = seed_call.c
          cross join lateral generate_series(1, seed_call.retries + 1) as attempt
          where seed_keep.keep > 0
        ) as call
        join seed_model as model on model.model_no = call.model_no
      ) as numbered
      where row_in_chain <= keep
    ) as timed`.execute(db);
  await sql`analyze seed_attempt`.execute(db);
}

const MESSAGES = sql`(array['Where is my order A-1042?', 'I was charged twice for invoice 7731.', 'The blender I bought arrived broken.',
  'Can I change my delivery address?', 'Please cancel my subscription.', 'Your app logs me out every day.', 'Do you ship to Norway?',
  'I want a refund for order B-5520.'])`;

async function writeRows(db: Db, step: Step): Promise<SyntheticSeedCounts> {
  // A request depends only on the task, the message and the model: built once each, not once per row.
  await sql`
    create temp table seed_request on commit drop as
    select task.name, message_no, model.model_no,
           jsonb_build_object(
             'messages', jsonb_build_array(
               jsonb_build_object('role', 'system', 'content', 'You are a support assistant. Answer with JSON for the task "' || task.name || '".'),
               jsonb_build_object('role', 'user', 'content', ${MESSAGES}[1 + message_no])),
             'params', jsonb_build_object('temperature', 0, 'maxOutputTokens', 1024),
             'requestedModel', model.requested) as request
    from (select distinct name from seed_call) as task cross join generate_series(0, 7) as message_no cross join seed_model as model`.execute(
    db,
  );
  await sql`analyze seed_request`.execute(db);
  await step('insert inference_log', () =>
    sql`
    insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, response, output, error,
                               input_tokens, output_tokens, cost_usd, latency_ms, provider_request_id, created_at, finished_at)
    select a.id, ch.chain_id, a.name, model.provider, model.model, a.status, a.attempt,
           request.request,
           case when a.error_class = 'ProviderError' then '{"error":{"type":"overloaded_error","message":"Overloaded"}}'::jsonb
                when a.error_class in ('ProviderTimeoutError', 'InterruptedError') then null
                else jsonb_build_object('id', 'resp_' || substr(md5(a.id::text), 1, 20), 'model', model.model,
                       'usage', jsonb_build_object('input_tokens', a.input_tokens, 'output_tokens', a.output_tokens)) end,
           a.output, a.error, a.input_tokens, a.output_tokens, a.cost_usd, a.latency_ms,
           case when model.provider <> 'offline' and a.error_class is distinct from 'ProviderTimeoutError' then 'req_' || substr(md5(a.id::text), 1, 24) end,
           a.created_at, a.created_at + a.latency_ms * interval '1 millisecond'
    -- In about time order (the chains' order), with no sort of the wide rows: where the indexes were kept, each grows
    -- at its end instead of at random pages.
    from seed_attempt as a
    join seed_chain as ch on ch.c = a.c
    join seed_request as request on request.name = a.name and request.message_no = a.c % 8 and request.model_no = a.model_no
    join seed_model as model on model.model_no = a.model_no`.execute(db),
  );
  const events = await writeDemoRows(db, step);
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
  if (!counts) throw new Error('the seed could not count what it wrote');
  return { ...counts, chainEvents: events };
}

/**
 * The demo's rows for each demo chain the log reached: its `chain` row, inbox message, triage (once entity extraction
 * succeeded), reply draft (once reply drafting did) and events. Returns how many events. Event ids are given, not
 * drawn from the identity in insertion order: each chain's ids then follow its story without sorting every event.
 */
async function writeDemoRows(db: Db, step: Step): Promise<number> {
  await step('plan chain spans', () =>
    sql`
    create temp table seed_span on commit drop as
    select c, bool_or(demo) as demo, max(created_at + latency_ms * interval '1 millisecond') as last_at
    from seed_attempt group by c`.execute(db),
  );
  await sql`analyze seed_span`.execute(db);
  const subject = sql`(array['Order A-1042', 'Double charge', 'Broken blender', 'New address', 'Cancel', 'Logged out', 'Shipping abroad', 'Refund'])[1 + ch.c % 8]`;
  const status = sql`case when ch.fail_call is null then 'succeeded' when ch.fail_class = 'InterruptedError' then 'interrupted' else 'failed' end`;
  const chainError = sql`case when ch.fail_call is not null then jsonb_build_object('class', ch.fail_class,
    'message', 'step ' || ch.fail_call || ' (' || ch.tasks[ch.fail_call] || ') failed: ' || ch.fail_class) end`;
  await step('insert chain', () =>
    sql`
    insert into chain (id, name, status, input, error, created_at, finished_at)
    select ch.chain_id, 'support-inbox triage', ${status},
           jsonb_build_object('from', 'customer' || ch.c % 5000 || '@example.com', 'subject', ${subject}, 'body', ${MESSAGES}[1 + ch.c % 8]),
           ${chainError}, ch.started, span.last_at
    from seed_span as span join seed_chain as ch on ch.c = span.c
    where span.demo`.execute(db),
  );
  await step('insert inbox_message', () =>
    sql`
    insert into inbox_message (id, chain_id, from_address, subject, body, created_at)
    select ch.message_id, ch.chain_id, 'customer' || ch.c % 5000 || '@example.com', ${subject}, ${MESSAGES}[1 + ch.c % 8], ch.started
    from seed_span as span join seed_chain as ch on ch.c = span.c
    where span.demo`.execute(db),
  );
  // The intent is the one the chain's intent recognition row answered (the same draw).
  await step('insert triage', () =>
    sql`
    insert into triage (id, chain_id, message_id, intent, confidence, urgency, entities, created_at)
    select ${uuidV7At(sql`e.created_at`)}, ch.chain_id, ch.message_id, ${INTENTS}[1 + floor(ch.r_intent * 6)::int],
           round((0.55 + ch.r_intent * 0.44)::numeric, 3), case when ch.r_intent > 0.85 then 'high' else 'normal' end, e.output,
           e.created_at + e.latency_ms * interval '1 millisecond'
    from seed_attempt as e join seed_chain as ch on ch.c = e.c
    where e.demo and e.name = 'entity extraction' and e.status = 'ok'`.execute(db),
  );
  await step('insert reply_draft', () =>
    sql`
    insert into reply_draft (id, chain_id, message_id, subject, body, tone, needs_human, created_at)
    select ${uuidV7At(sql`r.created_at`)}, ch.chain_id, ch.message_id, 'Re: ' || ${subject},
           'Hello, thank you for writing. We are on it.', 'helpful', r.r_pick > 0.9, r.created_at + r.latency_ms * interval '1 millisecond'
    from seed_attempt as r join seed_chain as ch on ch.c = r.c
    where r.demo and r.name = 'reply drafting' and r.status = 'ok'`.execute(db),
  );

  // Slot 0 is chain_started, 2k-1 and 2k step k's start and end, 7 chain_finished: 8 ids per chain after `base`.
  const { rows } = await sql<{ base: string }>`select coalesce(max(id), 0)::text as base from chain_event`.execute(db);
  const base = rows[0]?.base ?? '0';
  const eventId = (slot: RawBuilder<unknown>) => sql`${base}::bigint + ch.c::bigint * 8 + ${slot}`;
  const statements = [
    [
      'chain_started',
      sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`0`)}, ch.chain_id, 'chain_started', '{"type":"chain_started"}', ch.started
      from seed_span as span join seed_chain as ch on ch.c = span.c where span.demo`,
    ],
    [
      'step_started',
      sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`2 * a.call_no - 1`)}, ch.chain_id, 'step_started',
             jsonb_build_object('type', 'step_started', 'step', a.call_no, 'name', a.name), a.created_at
      from seed_attempt as a join seed_chain as ch on ch.c = a.c
      where a.demo and a.attempt = 1`,
    ],
    [
      'step_finished and step_failed',
      sql`
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
    ],
    [
      'chain_finished',
      sql`
      insert into chain_event (id, chain_id, type, payload, created_at) overriding system value
      select ${eventId(sql`7`)}, ch.chain_id, 'chain_finished',
             jsonb_build_object('type', 'chain_finished', 'status', ${status}, 'error', ${chainError}), span.last_at
      from seed_span as span join seed_chain as ch on ch.c = span.c where span.demo`,
    ],
  ] as const;
  let events = 0;
  for (const [type, statement] of statements) {
    const written = await step(`insert chain_event ${type}`, () => statement.execute(db));
    events += Number(written.numAffectedRows ?? 0);
  }
  await sql`select setval(pg_get_serial_sequence('chain_event', 'id'), (select max(id) from chain_event))`.execute(db);
  return events;
}

/**
 * Marks the closed task_stats days the seed wrote into as stale, then rolls task_stats up: its 60 days are closed
 * at once, so task_stats reads them from the daily tables from the start.
 */
async function rollUpSeededDays(db: Db): Promise<void> {
  // Taken only now: a roll-up that ran meanwhile could not see the seed's rows, and has committed when this returns,
  // so the days it closed are read below (a statement later) and marked.
  await lockTaskStats(db);
  await sql`
    insert into task_stats_stale_day (day)
    select distinct date_trunc('day', created_at at time zone 'UTC') at time zone 'UTC' from seed_attempt
    where created_at < (select closed_before from task_stats_rollup)
    on conflict do nothing`.execute(db);
  await rollUpTaskStatsIn(db);
}
