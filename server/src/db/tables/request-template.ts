import type { ColumnType, Insertable, Selectable } from 'kysely';

/** jsonb: read as a parsed value, written as a JSON string. */
type Json = ColumnType<unknown, string, string>;

/**
 * What every call of a task repeats in its request, stored once and named by the log rows that sent it
 * (`inference_log.request_template_id`).
 */
export interface RequestTemplateTable {
  /** SHA-256 (hex) of `{"output":…,"systemMessages":…}` as written. */
  id: string;
  /** `{ name, schema }`: the output schema sent to the provider. */
  output: Json;
  /** The request's leading system messages, `[{ role, content }]` (empty when they are kept in the row). */
  system_messages: Json;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** The `inference_log_request` view: each log row's request whole (its template's parts put back). */
export interface InferenceLogRequestView {
  id: ColumnType<string, never, never>;
  request: ColumnType<unknown, never, never>;
}

export type RequestTemplate = Selectable<RequestTemplateTable>;
export type NewRequestTemplate = Insertable<RequestTemplateTable>;
