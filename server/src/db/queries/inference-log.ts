import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { InferenceLog } from '../tables/inference-log.js';

export async function findLog(db: Db, id: string): Promise<InferenceLog | undefined> {
  return db.selectFrom('inference_log').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listChainLogs(db: Db, chainId: string): Promise<InferenceLog[]> {
  return db.selectFrom('inference_log').selectAll().where('chain_id', '=', chainId).orderBy('created_at').orderBy('id').execute();
}

/** What a chain's detail view shows of its log rows: no request or response bodies. */
export async function listChainLogSummaries(db: Db, chainId: string) {
  return db
    .selectFrom('inference_log')
    .select([
      'id',
      'name',
      'status',
      'attempt',
      'provider',
      'model',
      'latency_ms',
      'input_tokens',
      'output_tokens',
      'cost_usd',
      'output',
      sql<string | null>`error->>'class'`.as('error_class'),
      sql<string | null>`error->>'message'`.as('error_message'),
      'created_at',
      'finished_at',
    ])
    .where('chain_id', '=', chainId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
