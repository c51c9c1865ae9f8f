import type { ColumnType, Insertable, Selectable } from 'kysely';

export type InferenceStatus = 'pending' | 'ok' | 'error';

/** jsonb: read as a parsed value, written as a JSON string (pg rejects JS arrays as jsonb parameters). */
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown | null, string | null | undefined, string | null>;
/** numeric reads back as a string on both pg and PGlite, so no precision is lost. */
type Numeric = ColumnType<string | null, string | null | undefined, string | null>;

/** One row per attempt of one `ask()`; column names are a contract with analysts. */
export interface InferenceLogTable {
  id: string;
  chain_id: string;
  /** The step of its chain the attempt belongs to (1, 2, … as the runner numbers them); null outside a chain's steps. */
  chain_step: number | null;
  name: string;
  provider: string;
  model: string;
  status: InferenceStatus;
  attempt: number;
  /**
   * The call the attempt belongs to: its first attempt's id (a first attempt's own). Null only on first attempts
   * logged before the column; a retry inserted without one is given it by the database (inference_log_call_id).
   */
  call_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** What this call sent beyond its template: the messages after the template's system messages, params, model. */
  request: Json;
  /** request_template.id: the output schema and system messages this call sent; null when `request` holds all. */
  request_template_id: string | null;
  response: NullableJson;
  output: NullableJson;
  error: NullableJson;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: Numeric;
  /** Which price table gave cost_usd: "genai-prices@<version>", "config" (the deployment's override), "offline". */
  price_source: ColumnType<string | null, string | null | undefined, string | null>;
  latency_ms: number | null;
  provider_request_id: string | null;
  /** The process that made the call (instance.id); its pending rows are ended if it dies. */
  instance_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type InferenceLog = Selectable<InferenceLogTable>;
export type NewInferenceLog = Insertable<InferenceLogTable>;
