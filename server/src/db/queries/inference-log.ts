import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { InferenceLog } from '../tables/inference-log.js';

/**
 * A row's request whole, with its template's output schema and system messages put back, as the
 * inference_log_request view gives it (migration 2026-12-03T2500-request-templates), for any query on
 * inference_log: a lookup of the template by its key, rather than a join of the view back to the row.
 */
export const wholeRequest = sql<unknown>`coalesce((
  select inference_log.request || jsonb_build_object(
    'output', template.output,
    'messages', template.system_messages || coalesce(inference_log.request->'messages', '[]'::jsonb))
  from request_template as template where template.id = inference_log.request_template_id), inference_log.request)`;

/** Every column of the log rows, with `request` whole (wholeRequest), as the call sent it. */
function selectWholeRows(db: Db) {
  return db.selectFrom('inference_log').selectAll().select(wholeRequest.as('whole_request'));
}

function withWholeRequest<Row extends { whole_request: unknown }>({
  whole_request,
  ...row
}: Row): Omit<Row, 'whole_request'> & { request: unknown } {
  return { ...row, request: whole_request };
}

export async function findLog(db: Db, id: string): Promise<InferenceLog | undefined> {
  const row = await selectWholeRows(db).where('id', '=', id).executeTakeFirst();
  return row && withWholeRequest(row);
}

export async function listChainLogs(db: Db, chainId: string): Promise<InferenceLog[]> {
  const rows = await selectWholeRows(db).where('chain_id', '=', chainId).orderBy('created_at').orderBy('id').execute();
  return rows.map(withWholeRequest);
}

/** What a chain's detail view shows of its first `limit` log rows: no request, response or output bodies. */
export async function listChainLogSummaries(db: Db, chainId: string, limit: number) {
  return db
    .selectFrom('inference_log')
    .select([
      'id',
      'name',
      'status',
      'attempt',
      sql<string>`coalesce(call_id, id)`.as('call_id'),
      'provider',
      'model',
      'latency_ms',
      'input_tokens',
      'output_tokens',
      'cost_usd',
      sql<string | null>`error->>'class'`.as('error_class'),
      sql<string | null>`error->>'message'`.as('error_message'),
      'created_at',
      'finished_at',
    ])
    .where('chain_id', '=', chainId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** How many log rows of a chain a resume reads: a chain of more (a user's batch under one id) replays from its events. */
const JOURNAL_LOG_ROWS = 10_000;

/** What a resumed chain reads of its log rows: enough to replay a call that finished, or number the next attempt. */
export async function listChainJournalRows(db: Db, chainId: string) {
  return db
    .selectFrom('inference_log')
    .select([
      'id',
      'chain_step',
      'name',
      'status',
      'attempt',
      'call_id',
      'output',
      'provider',
      'model',
      'latency_ms',
      'input_tokens',
      'output_tokens',
      'cost_usd',
    ])
    .where('chain_id', '=', chainId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(JOURNAL_LOG_ROWS)
    .execute();
}

export type JournalLogRow = Awaited<ReturnType<typeof listChainJournalRows>>[number];

export async function findLogOutputs(db: Db, ids: readonly string[]): Promise<Map<string, unknown>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('inference_log').select(['id', 'output']).where('id', 'in', ids).execute();
  return new Map(rows.map((row) => [row.id, row.output]));
}

/**
 * What a chain's calls add up to, every attempt counted, summed by the database over all of its rows (however many
 * the detail view shows); costs as exact numeric sums.
 */
export async function sumChainLog(db: Db, chainId: string) {
  return sql<{
    calls: number;
    attempts: number;
    failed_attempts: number;
    input_tokens: number;
    output_tokens: number;
    cost_usd: string | null;
    model_ms: number;
    wall_ms: number | null;
  }>`select
      count(*) filter (where coalesce(call_id, id) = id)::int as calls,
      count(*)::int as attempts,
      count(*) filter (where status = 'error')::int as failed_attempts,
      coalesce(sum(input_tokens), 0)::int8::float8 as input_tokens,
      coalesce(sum(output_tokens), 0)::int8::float8 as output_tokens,
      sum(cost_usd)::text as cost_usd,
      coalesce(sum(latency_ms), 0)::float8 as model_ms,
      -- As chain_summary's and chains.list's: to the last start while an attempt is pending.
      (extract(epoch from max(coalesce(finished_at, created_at)) - min(created_at)) * 1000)::float8 as wall_ms
    from inference_log where chain_id = ${chainId}`
    .execute(db)
    .then((result) => result.rows[0]);
}
