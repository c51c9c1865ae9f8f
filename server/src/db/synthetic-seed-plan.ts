import { type RawBuilder, sql } from 'kysely';
import type { Db } from './client.js';
import { INTENTS as APP_INTENTS } from '@chainlog/shared';

// The synthetic seed's plan: what it will write, drawn once, in unlogged tables of its staging schema (see
// synthetic-seed-staging.ts) that every connection of the seed reads. Later statements name them without the schema
// (it is on their search_path).

const staged = (staging: string, table: string) => sql.id(staging, table);

/**
 * A UUID v7 whose time is `at` (so ids sort by time, as the app's own ids do): the milliseconds in hex, the version
 * nibble 7, 12 random bits, then the variant bits and 62 more, random ones XORed with `salt` (a random bigint below
 * 2^62, one per seed). The bits come from random() (drawn from setseed()'s sequence) rather than gen_random_uuid():
 * that draws from a cryptographic source (pg_strong_random) for every row, five times the cost of the rest (6.2 against 0.95 s a million);
 * the salt keeps two seeds with the same draws, the same `now` and the same seed apart.
 */
export function uuidV7At(at: RawBuilder<unknown>, salt: string): RawBuilder<string> {
  // date_part, not extract: double precision, where extract computes in numeric.
  const milliseconds = sql`floor(date_part('epoch', ${at}) * 1000)::bigint`;
  // OR with the sign bit sets the variant's 1; bit 62, the variant's 0, is clear in both operands of the XOR.
  const low = sql`(floor(random() * 4611686018427387904)::bigint # ${salt}::bigint) | (-9223372036854775808)::bigint`;
  // Hyphens are optional in uuid input: the hex digits in a row, each random() used once.
  return sql<string>`(lpad(to_hex(${milliseconds}), 12, '0') || '7' || lpad(to_hex(floor(random() * 4096)::int), 3, '0') || to_hex(${low}))::uuid`;
}

export const MESSAGES = sql`(array['Where is my order A-1042?', 'I was charged twice for invoice 7731.', 'The blender I bought arrived broken.',
  'Can I change my delivery address?', 'Please cancel my subscription.', 'Your app logs me out every day.', 'Do you ship to Norway?',
  'I want a refund for order B-5520.'])`;

/** One row per chain: when it starts, demo or not, which model, its tasks, and where it fails if it does. */
export async function createChainPlan(
  db: Db,
  staging: string,
  chains: number,
  now: string,
  salt: string,
): Promise<void> {
  await sql`
    create unlogged table ${staged(staging, 'seed_model')} as
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
    create unlogged table ${staged(staging, 'seed_chain')} as
    select c, started, demo, tasks, model_no, r_intent, r_cut, ${uuidV7At(sql`started`, salt)} as chain_id,
           case when demo then ${uuidV7At(sql`started`, salt)} end as message_id,
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
  // New tables get no statistics until autovacuum comes by: without them the joins below are planned as nested loops.
  await sql`analyze seed_chain`.execute(db);
}

/** The app's own intents (value-lists.ts), as a SQL array; `pickIntent(r)` draws one from a uniform r in [0, 1). */
const INTENTS = sql`(array[${sql.join(APP_INTENTS.map((intent) => sql.lit(intent)))}])`;
export const pickIntent = (r: RawBuilder<unknown>) =>
  sql`${INTENTS}[1 + floor(${r} * ${sql.lit(APP_INTENTS.length)})::int]`;

/**
 * One row per call, and how many attempts of each chain are kept (whole chains drawn at random, the last one cut),
 * exactly `logs` in all; then seed_attempt, empty, which planAttempts fills.
 */
export async function createCallPlan(db: Db, staging: string, logs: number, salt: string): Promise<void> {
  // Draws are made in a subquery's select list: once per row (a lateral subquery that names no outer column would
  // be evaluated once for all of them).
  await sql`
    create unlogged table ${staged(staging, 'seed_call')} as
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
    create unlogged table ${staged(staging, 'seed_keep')} as
    select c, greatest(0, least(attempts, drawn - (sum(attempts) over () - ${logs}::int)))::int as keep
    from (
      select c, attempts, sum(attempts) over (order by r_cut, c rows unbounded preceding) as drawn
      from (select c, sum(retries + 1)::int as attempts from seed_call group by c) as chain_attempts
      join seed_chain using (c)
    ) as drawn_chains`.execute(db);
  await sql`analyze seed_keep`.execute(db);
  await sql`create unlogged table ${staged(staging, 'seed_attempt')} as ${attemptRows(salt, sql`false`)} with no data`.execute(
    db,
  );
}

/**
 * Fills seed_attempt with one row per kept attempt of the chains `chains` picks, in chain order, with everything its
 * log row says but the bulky request and response: task, outcome, latency (log-normal, with a tail: one attempt in a
 * hundred waits 5 to 20 times longer), tokens, cost, output and error; each attempt starts when the previous one of
 * its chain ended. Chains are independent here: two connections may each plan some (then analyze seed_attempt).
 */
export async function planAttempts(db: Db, salt: string, chains: RawBuilder<unknown>): Promise<void> {
  await sql`insert into seed_attempt ${attemptRows(salt, chains)}`.execute(db);
}

function attemptRows(salt: string, chains: RawBuilder<unknown>): RawBuilder<unknown> {
  // Each attempt's call is its first attempt's id (inference_log.call_id); the rows come sorted by chain, call and
  // attempt from the window that timed them, so the window that finds it needs no sort of its own.
  return sql`
    select *, first_value(id) over (partition by c, call_no order by attempt) as call_id
    from (${attemptsOfChains(salt, chains)}) as attempts`;
}

function attemptsOfChains(salt: string, chains: RawBuilder<unknown>): RawBuilder<unknown> {
  const inputTokens = sql`(case name when 'reply drafting' then 780 when 'entity extraction' then 520 when 'summarization' then 1400 else 380 end
                           + floor(r_tokens * 300)::int + 160 * (attempt - 1))`;
  const outputTokens = sql`(case name when 'reply drafting' then 260 when 'entity extraction' then 110 when 'summarization' then 180 else 45 end
                            + floor(r_tokens * 120)::int)`;
  // A provider that failed before answering reports no usage.
  const answered = sql`(error_class is null or error_class in ('OutputValidationError', 'InvalidJsonError', 'TruncationError', 'RefusalError'))`;
  return sql`
    select c, chain_id, started, demo, call_no, name, model_no, attempt, last_attempt, status, error_class, latency_ms, created_at, r_pick,
           ${uuidV7At(sql`created_at`, salt)} as id,
           case when ${answered} then ${inputTokens} end as input_tokens,
           case when ${answered} then ${outputTokens} end as output_tokens,
           case when ${answered} then round(((${inputTokens}) * input_per_million + (${outputTokens}) * output_per_million) / 1000000, 8) end as cost_usd,
           case when status = 'ok' then case name
             when 'intent recognition' then jsonb_build_object('intent', ${pickIntent(sql.ref('r_intent'))},
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
        select call.c, call.chain_id, call.started, call.demo, call.r_intent, call.call_no, call.name, call.model_no, attempt,
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
          select seed_call.*, seed_keep.keep, ch.chain_id, ch.started, ch.demo, ch.r_intent, attempt, random() as r_class, random() as r_latency, random() as r_angle,
                 random() as r_tail, random() as r_tokens, random() as r_pick
          from seed_call join seed_chain as ch on ch.c = seed_call.c join seed_keep on seed_keep.c = seed_call.c
          cross join lateral generate_series(1, seed_call.retries + 1) as attempt
          where seed_keep.keep > 0 and ${chains}
        ) as call
        join seed_model as model on model.model_no = call.model_no
      ) as numbered
      where row_in_chain <= keep
    ) as timed`;
}

/** A request depends only on the task, the message and the model: built once each, not once per row. */
export async function createRequestPlan(db: Db, staging: string): Promise<void> {
  await sql`
    create unlogged table ${staged(staging, 'seed_request')} as
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
}

/** Each chain's span: whether it is a demo chain, and when its last attempt ended. */
export async function createSpanPlan(db: Db, staging: string): Promise<void> {
  await sql`
    create unlogged table ${staged(staging, 'seed_span')} as
    select c, bool_or(demo) as demo, max(created_at + latency_ms * interval '1 millisecond') as last_at
    from seed_attempt group by c`.execute(db);
  await sql`analyze seed_span`.execute(db);
}
