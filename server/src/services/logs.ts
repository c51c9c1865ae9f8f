import type { InferenceLog, InferenceStatus } from '../db/tables/inference-log.js';
import type { Db } from '../db/client.js';
import { findLog } from '../db/queries/inference-log.js';
import { countLogs } from '../db/queries/log-count.js';
import { listLogFacets } from '../db/queries/log-facets.js';
import { type LogFilters, listLogs } from '../db/queries/logs.js';
import { type Page, pageOf } from './page.js';

export interface LogSummary {
  id: string;
  chainId: string;
  name: string;
  provider: string;
  model: string;
  status: InferenceStatus;
  attempt: number;
  /** The call the attempt belongs to: the id of its first attempt (`inference_log.call_id`, or the row's own id). */
  callId: string;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: string | null;
  latencyMs: number | null;
  /** The error's class for a failed attempt (ProviderError, ValidationError, InterruptedError…), else null. */
  errorClass: string | null;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface LogDetail extends LogSummary {
  request: unknown;
  response: unknown;
  output: unknown;
  error: unknown;
  providerRequestId: string | null;
  /** Which price table gave costUsd ("genai-prices@0.1.8", "config", "offline"); null when unknown. */
  priceSource: string | null;
}

type SummaryColumns = Pick<
  InferenceLog,
  | 'id'
  | 'chain_id'
  | 'name'
  | 'provider'
  | 'model'
  | 'status'
  | 'attempt'
  | 'call_id'
  | 'input_tokens'
  | 'output_tokens'
  | 'cost_usd'
  | 'latency_ms'
  | 'created_at'
  | 'finished_at'
>;

/** What a failed attempt's `error` says, read from the row's jsonb. */
interface ErrorText {
  errorClass: string | null;
  errorMessage: string | null;
}

function toLogSummary(row: SummaryColumns, { errorClass, errorMessage }: ErrorText): LogSummary {
  return {
    id: row.id,
    chainId: row.chain_id,
    name: row.name,
    provider: row.provider,
    model: row.model,
    status: row.status,
    attempt: row.attempt,
    callId: row.call_id ?? row.id,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    latencyMs: row.latency_ms,
    errorClass,
    errorMessage,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

export async function listLogSummaries(db: Db, filters: LogFilters): Promise<Page<LogSummary>> {
  const rows = await listLogs(db, { ...filters, limit: filters.limit + 1 });
  return pageOf(
    rows.map((row) => toLogSummary(row, { errorClass: row.error_class, errorMessage: row.error_message })),
    filters.limit,
  );
}

/** The full row, or null when no log has that id. */
export async function getLogDetail(db: Db, id: string): Promise<LogDetail | null> {
  const row = await findLog(db, id);
  if (!row) return null;
  const error = row.error as { class?: unknown; message?: unknown } | null;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    ...toLogSummary(row, { errorClass: text(error?.class), errorMessage: text(error?.message) }),
    request: row.request,
    response: row.response,
    output: row.output,
    error: row.error,
    providerRequestId: row.provider_request_id,
    priceSource: row.price_source,
  };
}

export { countLogs, listLogFacets };
