import type { Db } from '../client.js';
import type { InferenceLog, NewInferenceLog } from '../tables/inference-log.js';

/** Written before the provider answers; a no-op if the finished row got there first. */
export async function insertPendingLog(db: Db, row: NewInferenceLog): Promise<void> {
  await db.insertInto('inference_log').values(row).onConflict((conflict) => conflict.column('id').doNothing()).execute();
}

/** Writes the finished row whether or not the pending insert has landed yet, so neither waits for the other. */
export async function upsertFinishedLog(db: Db, row: NewInferenceLog): Promise<void> {
  const { id: _id, created_at: _createdAt, ...finished } = row;
  await db
    .insertInto('inference_log')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doUpdateSet(finished))
    .execute();
}

export async function findLog(db: Db, id: string): Promise<InferenceLog | undefined> {
  return db.selectFrom('inference_log').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listChainLogs(db: Db, chainId: string): Promise<InferenceLog[]> {
  return db.selectFrom('inference_log').selectAll().where('chain_id', '=', chainId).orderBy('created_at').orderBy('id').execute();
}
