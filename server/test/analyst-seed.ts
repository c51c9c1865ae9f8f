import { randomUUID } from 'node:crypto';
import type { ChainStatus } from '@chainlog/shared';
import type { Db } from '../src/db/client.js';
import type { NewInferenceLog } from '../src/db/tables/inference-log.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Model = 'openai:gpt-4.1-mini' | 'openai:gpt-4.1' | 'anthropic:claude-sonnet-4-5' | 'offline:default';
type ErrorClass =
  | 'OutputValidationError'
  | 'InvalidJsonError'
  | 'ProviderError'
  | 'InvalidResponseBodyError'
  | 'RefusalError'
  | 'TruncationError';

/** One attempt as a test describes it; the seed fills in the rest the way ask() would. */
interface AttemptSpec {
  name: string;
  model: Model;
  /** Default 'ok'. */
  status?: 'ok' | 'error' | 'pending';
  error?: ErrorClass;
  latencyMs?: number;
  /** What the caller asked for, when another model answered (the offline provider standing in). */
  requested?: string;
}

/** A chain as a test describes it: its calls in order, each a list of attempts (the last one what the caller got). */
interface ChainSpec {
  /** When the first call started, in ms before `now`. */
  agoMs: number;
  calls: AttemptSpec[][];
  /** A demo chain: its `chain` row's status, with a message, and a triage and reply when it got that far. */
  demo?: { status: ChainStatus; triage: boolean; reply: boolean };
}

const PRICES: Record<Model, { input: number; output: number }> = {
  'openai:gpt-4.1-mini': { input: 0.4e-6, output: 1.6e-6 },
  'openai:gpt-4.1': { input: 2e-6, output: 8e-6 },
  'anthropic:claude-sonnet-4-5': { input: 3e-6, output: 15e-6 },
  'offline:default': { input: 0, output: 0 },
};

const TRIAGE = ['intent recognition', 'entity extraction', 'reply drafting'] as const;

/**
 * The chains the SQL cookbook and the views are tested on: demo chains (with chain, inbox_message, triage,
 * reply_draft and chain_event rows) and chains of plain ask() calls (log rows only), over several days, models and
 * providers, with validation retries, provider errors, a chain still running and chains that failed.
 */
export const ANALYST_CHAINS = {
  /** Yesterday; reply drafting failed the schema once and was asked again. */
  replyRetried: {
    agoMs: DAY,
    calls: [
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1-mini', latencyMs: 900 }],
      [{ name: TRIAGE[1], model: 'openai:gpt-4.1-mini', latencyMs: 1_100 }],
      [
        {
          name: TRIAGE[2],
          model: 'openai:gpt-4.1-mini',
          status: 'error',
          error: 'OutputValidationError',
          latencyMs: 2_400,
        },
        { name: TRIAGE[2], model: 'openai:gpt-4.1-mini', latencyMs: 2_600 },
      ],
    ],
    demo: { status: 'succeeded', triage: true, reply: true },
  },
  /** An hour ago, on Anthropic; entity extraction got an HTML 200 first. */
  anthropicToday: {
    agoMs: HOUR,
    calls: [
      [{ name: TRIAGE[0], model: 'anthropic:claude-sonnet-4-5', latencyMs: 1_300 }],
      [
        {
          name: TRIAGE[1],
          model: 'anthropic:claude-sonnet-4-5',
          status: 'error',
          error: 'InvalidResponseBodyError',
          latencyMs: 300,
        },
        { name: TRIAGE[1], model: 'anthropic:claude-sonnet-4-5', latencyMs: 3_900 },
      ],
      [{ name: TRIAGE[2], model: 'anthropic:claude-sonnet-4-5', latencyMs: 2_900 }],
    ],
    demo: { status: 'succeeded', triage: true, reply: true },
  },
  /** Three days ago: intent recognition succeeded, entity extraction failed at the provider. */
  failedAfterFirstStep: {
    agoMs: 3 * DAY,
    calls: [
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1', latencyMs: 1_500 }],
      [
        { name: TRIAGE[1], model: 'openai:gpt-4.1', status: 'error', error: 'ProviderError', latencyMs: 700 },
        { name: TRIAGE[1], model: 'openai:gpt-4.1', status: 'error', error: 'ProviderError', latencyMs: 800 },
      ],
    ],
    demo: { status: 'failed', triage: false, reply: false },
  },
  /** Two days ago: the first step was refused. */
  failedAtFirstStep: {
    agoMs: 2 * DAY,
    calls: [
      [
        {
          name: TRIAGE[0],
          model: 'anthropic:claude-sonnet-4-5',
          status: 'error',
          error: 'RefusalError',
          latencyMs: 600,
        },
      ],
    ],
    demo: { status: 'failed', triage: false, reply: false },
  },
  /** Started a minute ago; entity extraction is still with the provider. */
  running: {
    agoMs: 60_000,
    calls: [
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1-mini', latencyMs: 800 }],
      [{ name: TRIAGE[1], model: 'openai:gpt-4.1-mini', status: 'pending' }],
    ],
    demo: { status: 'running', triage: false, reply: false },
  },
  /** Ten days ago, on the larger OpenAI model; reply drafting answered with broken JSON once. */
  tenDaysAgo: {
    agoMs: 10 * DAY,
    calls: [
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1', latencyMs: 1_700 }],
      [{ name: TRIAGE[1], model: 'openai:gpt-4.1', latencyMs: 2_000 }],
      [
        { name: TRIAGE[2], model: 'openai:gpt-4.1', status: 'error', error: 'InvalidJsonError', latencyMs: 3_100 },
        { name: TRIAGE[2], model: 'openai:gpt-4.1', latencyMs: 3_300 },
      ],
    ],
    demo: { status: 'succeeded', triage: true, reply: true },
  },
  /** `npm run ask` a few minutes ago with no OpenAI key, so offline stood in: no chain row. */
  askToday: {
    agoMs: 5 * 60_000,
    calls: [[{ name: TRIAGE[0], model: 'offline:default', requested: 'openai:gpt-4.1-mini', latencyMs: 2 }]],
  },
  /** A user's own code yesterday: two calls in one chain, the second cut off once; no chain row. */
  askYesterday: {
    agoMs: DAY + 2 * HOUR,
    calls: [
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1-mini', latencyMs: 1_000 }],
      [
        {
          name: 'sentiment',
          model: 'openai:gpt-4.1-mini',
          status: 'error',
          error: 'TruncationError',
          latencyMs: 1_200,
        },
        { name: 'sentiment', model: 'openai:gpt-4.1-mini', latencyMs: 1_400 },
      ],
    ],
  },
  /** A user's own call four days ago whose only attempt failed: a failed chain without a chain row. */
  askFailed: {
    agoMs: 4 * DAY,
    calls: [
      [
        {
          name: 'sentiment',
          model: 'anthropic:claude-sonnet-4-5',
          status: 'error',
          error: 'ProviderError',
          latencyMs: 400,
        },
      ],
    ],
  },
  /**
   * A user's own code six days ago: a call that failed for good, then one of the same task that failed once and was
   * retried (its attempt 2 continues it, not the first call), then another that succeeded; no chain row.
   */
  askFailedThenAsked: {
    agoMs: 6 * DAY,
    calls: [
      [{ name: 'sentiment', model: 'openai:gpt-4.1-mini', status: 'error', error: 'ProviderError', latencyMs: 500 }],
      [
        { name: 'sentiment', model: 'openai:gpt-4.1-mini', status: 'error', error: 'TruncationError', latencyMs: 700 },
        { name: 'sentiment', model: 'openai:gpt-4.1-mini', latencyMs: 800 },
      ],
      [{ name: TRIAGE[0], model: 'openai:gpt-4.1-mini', latencyMs: 900 }],
    ],
  },
} satisfies Record<string, ChainSpec>;

export type AnalystChainName = keyof typeof ANALYST_CHAINS;

export interface AnalystSeed {
  /** The chain id of each seeded chain. */
  chainIds: Record<AnalystChainName, string>;
  /** The inbox message of each demo chain. */
  messageIds: Partial<Record<AnalystChainName, string>>;
}

/** Inserts ANALYST_CHAINS with real inserts, timed relative to `now` (default: the current time). */
/** The request template every seeded row names, as ask() stores one per task and system prompt. */
export const SEED_TEMPLATE = {
  id: 'analyst-seed-template',
  output: { name: 'seeded', schema: { type: 'object' } },
  system_messages: [{ role: 'system', content: 'Seeded instructions.' }],
};

export async function seedAnalystData(db: Db, now = Date.now()): Promise<AnalystSeed> {
  await db
    .insertInto('request_template')
    .values({
      id: SEED_TEMPLATE.id,
      output: JSON.stringify(SEED_TEMPLATE.output),
      system_messages: JSON.stringify(SEED_TEMPLATE.system_messages),
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const chainIds: Partial<Record<AnalystChainName, string>> = {};
  const messageIds: Partial<Record<AnalystChainName, string>> = {};
  for (const [key, spec] of Object.entries(ANALYST_CHAINS) as [AnalystChainName, ChainSpec][]) {
    const chainId = randomUUID();
    chainIds[key] = chainId;
    const started = new Date(now - spec.agoMs);
    const rows: NewInferenceLog[] = [];
    let clock = started.getTime();
    for (const call of spec.calls) {
      let callId: string | undefined;
      call.forEach((attempt, index) => {
        const row = attemptRow(chainId, attempt, index + 1, new Date(clock));
        callId ??= row.id;
        rows.push({ ...row, call_id: callId });
        // The next attempt (or call) starts once this one is answered, plus a little of our own time.
        clock += (attempt.latencyMs ?? 0) + 20;
      });
    }
    await db.insertInto('inference_log').values(rows).execute();
    if (spec.demo) messageIds[key] = await insertDemoRows(db, chainId, key, spec.demo, started, new Date(clock));
  }
  return { chainIds: chainIds as Record<AnalystChainName, string>, messageIds };
}

function attemptRow(chainId: string, spec: AttemptSpec, attempt: number, createdAt: Date): NewInferenceLog {
  const [provider = 'offline', model = 'default'] = spec.model.split(':');
  const status = spec.status ?? 'ok';
  const finished = status === 'pending' ? null : new Date(createdAt.getTime() + (spec.latencyMs ?? 0));
  // A provider that failed before answering reports no usage.
  const answered =
    status === 'ok' ||
    spec.error === 'OutputValidationError' ||
    spec.error === 'InvalidJsonError' ||
    spec.error === 'TruncationError';
  const inputTokens = answered ? 350 + 120 * attempt : null;
  const outputTokens = answered ? 80 + (spec.latencyMs ?? 0) / 20 : null;
  const price = PRICES[spec.model];
  return {
    id: randomUUID(),
    chain_id: chainId,
    name: spec.name,
    provider,
    model,
    status,
    attempt,
    request: JSON.stringify({
      messages: [{ role: 'user', content: 'seeded' }],
      requestedModel: spec.requested ?? spec.model,
    }),
    request_template_id: SEED_TEMPLATE.id,
    response: status === 'pending' ? null : JSON.stringify({ seeded: true }),
    output: status === 'ok' ? JSON.stringify({ seeded: true }) : null,
    error: spec.error
      ? JSON.stringify({
          class: spec.error,
          code: spec.error,
          message: `seeded ${spec.error}`,
          providerStatus: spec.error === 'ProviderError' ? 503 : null,
        })
      : null,
    input_tokens: inputTokens,
    output_tokens: outputTokens === null ? null : Math.round(outputTokens),
    cost_usd:
      inputTokens === null || outputTokens === null
        ? null
        : (inputTokens * price.input + Math.round(outputTokens) * price.output).toFixed(8),
    latency_ms: status === 'pending' ? null : (spec.latencyMs ?? 0),
    created_at: createdAt,
    finished_at: finished,
  };
}

async function insertDemoRows(
  db: Db,
  chainId: string,
  key: string,
  demo: NonNullable<ChainSpec['demo']>,
  started: Date,
  ended: Date,
): Promise<string> {
  const messageId = randomUUID();
  const input = { from: `${key}@example.com`, subject: `Order ${key}`, body: 'Where is my order A-1042?' };
  const error = demo.status === 'failed' ? { class: 'RetriesExhaustedError', message: 'seeded failure' } : null;
  await db
    .insertInto('chain')
    .values({
      id: chainId,
      name: 'support-inbox triage',
      status: demo.status,
      input: JSON.stringify(input),
      error: error === null ? null : JSON.stringify(error),
      created_at: started,
      finished_at: demo.status === 'running' ? null : ended,
    })
    .execute();
  await db
    .insertInto('inbox_message')
    .values({
      id: messageId,
      chain_id: chainId,
      from_address: input.from,
      subject: input.subject,
      body: input.body,
      created_at: started,
    })
    .execute();
  await db
    .insertInto('chain_event')
    .values([
      {
        chain_id: chainId,
        type: 'chain_started',
        payload: JSON.stringify({ type: 'chain_started' }),
        created_at: started,
      },
      ...(demo.status === 'running'
        ? []
        : [
            {
              chain_id: chainId,
              type: 'chain_finished',
              payload: JSON.stringify({ type: 'chain_finished', status: demo.status, error }),
              created_at: ended,
            },
          ]),
    ])
    .execute();
  if (demo.triage) {
    await db
      .insertInto('triage')
      .values({
        id: randomUUID(),
        chain_id: chainId,
        message_id: messageId,
        intent: 'order_status',
        confidence: 0.91,
        urgency: key === 'anthropicToday' ? 'high' : 'normal',
        entities: JSON.stringify({ orderNumbers: ['A-1042'] }),
        created_at: ended,
      })
      .execute();
  }
  if (demo.reply) {
    await db
      .insertInto('reply_draft')
      .values({
        id: randomUUID(),
        chain_id: chainId,
        message_id: messageId,
        subject: `Re: ${input.subject}`,
        body: 'It is on its way.',
        tone: 'helpful',
        needs_human: key === 'anthropicToday',
        created_at: ended,
      })
      .execute();
  }
  return messageId;
}
