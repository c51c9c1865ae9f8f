import {
  applyStepEvents,
  type CallAttempt,
  type ChainError,
  type ChainEvent,
  type ChainStatus,
  type ChainStep,
  type ChainTotals,
  chainErrorSchema,
  groupIntoCalls,
} from '@chainlog/shared';
import { toChainEvent } from '../chains/chain-events.js';
import type { ChainEventFanOut } from '../chains/chain-event-fan-out.js';
import { streamAllChainEvents } from '../chains/chain-event-stream.js';
import type { ChainEventBus } from '../chains/event-bus.js';
import type { Db } from '../db/client.js';
import type { PushableIterator } from '../pushed-stream.js';
import {
  type ChainFilters,
  type ChainListRow,
  findChain,
  findLogChain,
  listChainEventsAfter,
  listChainsWithTotals,
} from '../db/queries/chains.js';
import { findLogOutputs, listChainLogSummaries, sumChainLog } from '../db/queries/inference-log.js';
import { findChainDomainRows } from '../db/queries/support.js';
import type { ChainRow } from '../db/tables/chain.js';
import { type Page, pageOf } from './page.js';

export interface ChainSummary {
  id: string;
  name: string;
  status: ChainStatus;
  input: unknown;
  error: ChainError | null;
  createdAt: string;
  finishedAt: string | null;
}

/**
 * A chain in the list, whether a chain runner recorded it or only the log knows it (`createdAt` is then its first
 * call's start, `input` null), with what its log rows add up to: every attempt counted, retries included.
 */
export interface ChainListItem extends ChainSummary {
  /** Whether the chain has a `chain` row (a chain runner's status, input and events). */
  recorded: boolean;
  /** Calls made: the attempts that started one. */
  calls: number;
  /** Log rows: every attempt of every call. */
  attempts: number;
  /** Attempts that ended in an error, retried or not. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** The exact sum of every priced attempt, or null when none was priced. */
  costUsd: string | null;
  /** From the first attempt's start to the last one's end (to the last start while one is pending); null without calls. */
  wallMs: number | null;
}

export interface ChainDetail {
  chain: ChainSummary;
  /**
   * Whether a chain runner recorded this chain (its status, input and events). A chain id that only the log knows
   * (calls made with `npm run ask` or a user's own `ask()`) is a chain too: its steps are its calls, its status
   * what they say, and it has no events to follow.
   */
  recorded: boolean;
  steps: ChainStep[];
  /**
   * The steps its kind plans, in order (ChainDefinition.steps): those not yet in `steps` are still to come while it
   * runs. [] for a kind that plans none or that this server does not run, and for a chain only the log knows.
   */
  plannedSteps: string[];
  /** The id of the last stored event: subscribe to chains.events from here to miss nothing. */
  lastEventId: string | null;
  /** Every attempt of every call, in the order written: the first CHAIN_DETAIL_MAX_ATTEMPTS (totals count them all). */
  logs: CallAttempt[];
  totals: ChainTotals;
  domain: {
    messages: { id: string; from: string; subject: string; body: string; createdAt: string }[];
    triages: {
      id: string;
      messageId: string;
      intent: string;
      confidence: number;
      urgency: string;
      entities: unknown;
    }[];
    replyDrafts: { id: string; messageId: string; subject: string; body: string; tone: string; needsHuman: boolean }[];
  };
}

/** Every chain the log knows, and every recorded one, newest first, with their totals. */
export async function listChainSummaries(db: Db, filters: ChainFilters): Promise<Page<ChainListItem>> {
  const rows = await listChainsWithTotals(db, { ...filters, limit: filters.limit + 1 });
  return pageOf(rows.map(toListItem), filters.limit);
}

function toListItem(row: ChainListRow): ChainListItem {
  return {
    id: row.chain_id,
    name: row.name,
    status: row.status,
    input: row.input,
    error: row.error === null ? null : chainErrorSchema.parse(row.error),
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    recorded: row.recorded,
    calls: row.calls,
    attempts: row.attempts,
    errors: row.errors,
    inputTokens: row.input_tokens ?? 0,
    outputTokens: row.output_tokens ?? 0,
    costUsd: row.cost_usd,
    wallMs: row.wall_ms,
  };
}

/** A chain's page shows this many attempts at most; a chain of more (a user's batch under one id) is summed whole. */
export const CHAIN_DETAIL_MAX_ATTEMPTS = 2_000;

/**
 * The chain with its steps (folded from its events), its log rows and the domain rows it created; null if unknown.
 * `plannedStepsOf` gives a kind's planned steps (ChainRunner.plannedSteps).
 */
export async function getChainDetail(
  db: Db,
  chainId: string,
  plannedStepsOf: (chainName: string) => readonly string[],
): Promise<ChainDetail | null> {
  // Events first: a chain that finishes meanwhile then shows its final status with an older lastEventId (the
  // subscription replays the rest), never a stale status with the final lastEventId.
  const events = await listChainEventsAfter(db, chainId, null);
  const [chain, rows, sums, domain] = await Promise.all([
    findChain(db, chainId),
    listChainLogSummaries(db, chainId, CHAIN_DETAIL_MAX_ATTEMPTS),
    sumChainLog(db, chainId),
    findChainDomainRows(db, chainId),
  ]);
  if (!chain && rows.length === 0) return null;
  const chainEvents = events.map(toChainEvent);
  const shown = chain
    ? // The same rule the client applies to live events.
      { chain: toSummary(chain), recorded: true, steps: applyStepEvents([], chainEvents) }
    : await chainOfCalls(db, chainId, rows);
  if (!shown) return null;
  return {
    ...shown,
    plannedSteps: shown.recorded ? [...plannedStepsOf(shown.chain.name)] : [],
    lastEventId: chainEvents.at(-1)?.id ?? null,
    logs: rows.map(toAttempt),
    totals: toTotals(sums),
    domain: {
      messages: domain.messages.map((row) => ({
        id: row.id,
        from: row.from_address,
        subject: row.subject,
        body: row.body,
        createdAt: row.created_at.toISOString(),
      })),
      triages: domain.triages.map((row) => ({
        id: row.id,
        messageId: row.message_id,
        intent: row.intent,
        confidence: Number(row.confidence),
        urgency: row.urgency,
        entities: row.entities,
      })),
      replyDrafts: domain.replyDrafts.map((row) => ({
        id: row.id,
        messageId: row.message_id,
        subject: row.subject,
        body: row.body,
        tone: row.tone,
        needsHuman: row.needs_human,
      })),
    },
  };
}

type ChainLogRow = Awaited<ReturnType<typeof listChainLogSummaries>>[number];

function toAttempt(row: ChainLogRow): CallAttempt {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    attempt: row.attempt,
    callId: row.call_id,
    provider: row.provider,
    model: row.model,
    latencyMs: row.latency_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    errorClass: row.error_class,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

const STEP_STATUS = { pending: 'running', ok: 'succeeded', error: 'failed' } as const;

function toTotals(sums: Awaited<ReturnType<typeof sumChainLog>> | undefined): ChainTotals {
  return {
    calls: sums?.calls ?? 0,
    attempts: sums?.attempts ?? 0,
    failedAttempts: sums?.failed_attempts ?? 0,
    inputTokens: Number(sums?.input_tokens ?? 0),
    outputTokens: Number(sums?.output_tokens ?? 0),
    costUsd: sums?.cost_usd ?? null,
    modelMs: Number(sums?.model_ms ?? 0),
    wallMs: sums?.wall_ms === null || sums?.wall_ms === undefined ? null : Number(sums.wall_ms),
  };
}

/**
 * A chain only the log knows: each call is a step, shown by its last attempt, from the rows the detail view shows
 * (its first CHAIN_DETAIL_MAX_ATTEMPTS); the chain itself as chain_summary reads all of its rows, as chains.list
 * shows it. Null when its rows are gone.
 */
async function chainOfCalls(
  db: Db,
  chainId: string,
  rows: readonly ChainLogRow[],
): Promise<{ chain: ChainSummary; recorded: false; steps: ChainStep[] } | null> {
  const calls = groupIntoCalls(rows.map((row) => ({ ...row, callId: row.call_id })));
  const [summary, outputs] = await Promise.all([
    findLogChain(db, chainId),
    findLogOutputs(
      db,
      calls.flatMap((attempts) => attempts.at(-1)?.id ?? []),
    ),
  ]);
  if (!summary) return null;
  const steps: ChainStep[] = [];
  for (const [index, attempts] of calls.entries()) {
    // groupIntoCalls makes no empty call.
    const first = attempts[0];
    const last = attempts.at(-1);
    if (!first || !last) continue;
    steps.push({
      step: index + 1,
      name: last.name,
      status: STEP_STATUS[last.status],
      output: outputs.get(last.id) ?? null,
      logId: last.id,
      provider: last.provider,
      model: last.model,
      latencyMs: last.latency_ms,
      inputTokens: last.input_tokens,
      outputTokens: last.output_tokens,
      costUsd: last.cost_usd,
      error: last.status === 'error' ? { class: last.error_class ?? 'Error', message: last.error_message ?? '' } : null,
      startedAt: first.created_at.toISOString(),
      finishedAt: last.finished_at?.toISOString() ?? null,
    });
  }
  return {
    recorded: false,
    chain: {
      id: chainId,
      name: summary.name,
      status: summary.status,
      input: null,
      // As a recorded chain's: its error once it has failed, not while another call still runs.
      error: summary.error === null ? null : chainErrorSchema.parse(summary.error),
      createdAt: summary.first_call_at.toISOString(),
      finishedAt: summary.status === 'running' ? null : summary.last_call_at.toISOString(),
    },
    steps,
  };
}

function toSummary(row: ChainRow): ChainSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    input: row.input,
    error: (row.error as ChainError | null) ?? null,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/**
 * A chain's events after `lastEventId`, stored then live, until chain_finished (see ChainEventFanOut.follow).
 * @throws UnknownChainError (from the first next()) when no chain has this id.
 */
export function followChain(
  dependencies: { chainEvents: ChainEventFanOut },
  chainId: string,
  lastEventId: string | null,
  signal: AbortSignal | undefined,
): PushableIterator<ChainEvent> {
  return dependencies.chainEvents.follow(chainId, lastEventId, signal);
}

/** Every chain's events, live, for lists that update themselves. */
export function followAllChains(bus: ChainEventBus, signal: AbortSignal | undefined): AsyncGenerator<ChainEvent> {
  return streamAllChainEvents(bus, signal);
}
