import type { ChainExportRow, LogExportRow } from '../db/queries/export.js';
import type { ExportShape } from './export-formats.js';

function errorField(error: unknown, field: 'class' | 'message'): string | null {
  if (typeof error !== 'object' || error === null || !(field in error)) return null;
  const value: unknown = Reflect.get(error, field);
  return typeof value === 'string' ? value : null;
}

/** numeric arrives as a string (exact); JSON gets a number, which holds numeric(14, 8) exactly enough to round-trip. */
function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}

/** inference_log: the columns analysts group and sum in CSV; every column, request and response included, in JSON. */
export const LOG_EXPORT_SHAPE: ExportShape<LogExportRow> = {
  csv: [
    { header: 'id', value: (row) => row.id },
    { header: 'chain_id', value: (row) => row.chain_id },
    { header: 'name', value: (row) => row.name, text: true },
    { header: 'provider', value: (row) => row.provider, text: true },
    { header: 'model', value: (row) => row.model, text: true },
    { header: 'status', value: (row) => row.status },
    { header: 'attempt', value: (row) => row.attempt },
    // The call, filled in on first attempts logged before the column too (JSON's as well): it groups as it is.
    { header: 'call_id', value: (row) => row.call_id ?? row.id },
    { header: 'input_tokens', value: (row) => row.input_tokens },
    { header: 'output_tokens', value: (row) => row.output_tokens },
    { header: 'cost_usd', value: (row) => row.cost_usd },
    { header: 'price_source', value: (row) => row.price_source, text: true },
    { header: 'latency_ms', value: (row) => row.latency_ms },
    { header: 'created_at', value: (row) => row.created_at_iso },
    { header: 'finished_at', value: (row) => row.finished_at_iso },
    { header: 'error_class', value: (row) => errorField(row.error, 'class'), text: true },
    { header: 'error_message', value: (row) => errorField(row.error, 'message'), text: true },
  ],
  // The request as the call sent it (its template's parts put back), where the table keeps only what is not shared.
  json: ({ whole_request, created_at_iso, finished_at_iso, ...row }) => ({
    ...row,
    call_id: row.call_id ?? row.id,
    request: whole_request,
    cost_usd: numberOrNull(row.cost_usd),
    created_at: created_at_iso,
    finished_at: finished_at_iso,
  }),
};

/** chain rows with their totals over every attempt; JSON adds the input and the whole error. */
export const CHAIN_EXPORT_SHAPE: ExportShape<ChainExportRow> = {
  csv: [
    { header: 'id', value: (row) => row.id },
    { header: 'name', value: (row) => row.name, text: true },
    { header: 'status', value: (row) => row.status },
    { header: 'calls', value: (row) => row.calls },
    { header: 'attempts', value: (row) => row.attempts },
    { header: 'errors', value: (row) => row.errors },
    { header: 'input_tokens', value: (row) => row.input_tokens },
    { header: 'output_tokens', value: (row) => row.output_tokens },
    { header: 'cost_usd', value: (row) => row.cost_usd },
    { header: 'created_at', value: (row) => row.created_at_iso },
    { header: 'finished_at', value: (row) => row.finished_at_iso },
    { header: 'error_class', value: (row) => errorField(row.error, 'class'), text: true },
    { header: 'error_message', value: (row) => errorField(row.error, 'message'), text: true },
  ],
  json: ({ created_at_iso, finished_at_iso, ...row }) => ({
    ...row,
    cost_usd: numberOrNull(row.cost_usd),
    created_at: created_at_iso,
    finished_at: finished_at_iso,
  }),
};
