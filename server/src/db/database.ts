import type { InferenceLogTable } from './tables/inference-log.js';

/** Every table Kysely knows, by its SQL name. */
export interface Database {
  inference_log: InferenceLogTable;
}
