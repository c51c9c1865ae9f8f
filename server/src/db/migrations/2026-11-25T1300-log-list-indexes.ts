import type { Kysely } from 'kysely';

// logs.list filters by one column and pages by id (UUID v7, so time order): these let each filter read its
// rows already in page order instead of scanning the table.
const INDEXES = [
  ['inference_log_name_id_idx', 'name'],
  ['inference_log_model_id_idx', 'model'],
  ['inference_log_provider_id_idx', 'provider'],
  ['inference_log_status_id_idx', 'status'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, column] of INDEXES) await db.schema.createIndex(name).on('inference_log').columns([column, 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name] of INDEXES) await db.schema.dropIndex(name).execute();
}
