import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { InferenceStatus } from '../tables/inference-log.js';

export interface LogFilters {
  name?: string | undefined;
  model?: string | undefined;
  provider?: string | undefined;
  status?: InferenceStatus | undefined;
  chainId?: string | undefined;
  /** Created at or after, before: ISO 8601 text, compared by PostgreSQL to the microsecond (a Date keeps milliseconds). */
  from?: string | undefined;
  to?: string | undefined;
  /** Words to find in the request's messages or the output (websearch syntax: "a phrase", or, -not). */
  q?: string | undefined;
  /** Provider round trip bounds, in milliseconds, both inclusive. */
  minLatencyMs?: number | undefined;
  maxLatencyMs?: number | undefined;
  /** At least this cost, in US dollars (a decimal string: numeric compares it exactly). */
  minCostUsd?: string | undefined;
  /** Newest first (default) or oldest first. */
  order: 'desc' | 'asc';
  /** The last id of the previous page: log ids are UUID v7, so id order is time order. */
  cursor?: string | undefined;
  limit: number;
}

/** The list columns only: request and response bodies stay for the detail view. */
export async function listLogs(db: Db, filters: LogFilters) {
  return selectLogsMatching(db, filters)
    .select([
      'id',
      'chain_id',
      'name',
      'provider',
      'model',
      'status',
      'attempt',
      'call_id',
      'input_tokens',
      'output_tokens',
      'cost_usd',
      'latency_ms',
      'created_at',
      'finished_at',
      sql<string | null>`error->>'class'`.as('error_class'),
      sql<string | null>`error->>'message'`.as('error_message'),
    ])
    .limit(filters.limit)
    .execute();
}

/** inference_log rows matching every filter given, after the cursor, in id (time) order; no columns, no limit. */
export function selectLogsMatching(db: Db, filters: Omit<LogFilters, 'limit'>) {
  let query = db.selectFrom('inference_log');
  if (filters.name) query = query.where('name', '=', filters.name);
  if (filters.model) query = query.where('model', '=', filters.model);
  if (filters.provider) query = query.where('provider', '=', filters.provider);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.chainId) query = query.where('chain_id', '=', filters.chainId);
  if (filters.from) query = query.where('created_at', '>=', sql<Date>`${filters.from}::timestamptz`);
  if (filters.to) query = query.where('created_at', '<', sql<Date>`${filters.to}::timestamptz`);
  // The same expression as inference_log_document_idx (migrations 2026-12-03T1400-log-search and
  // 2026-12-05T1300-log-search-word-parts), so the GIN index serves it.
  if (filters.q)
    query = query.where(sql<boolean>`inference_log_document(request, output) @@ inference_log_search(${filters.q})`);
  if (filters.minLatencyMs !== undefined) query = query.where('latency_ms', '>=', filters.minLatencyMs);
  if (filters.maxLatencyMs !== undefined) query = query.where('latency_ms', '<=', filters.maxLatencyMs);
  if (filters.minCostUsd !== undefined) query = query.where('cost_usd', '>=', filters.minCostUsd);
  if (filters.cursor) query = query.where('id', filters.order === 'desc' ? '<' : '>', filters.cursor);
  return query.orderBy('id', filters.order);
}
