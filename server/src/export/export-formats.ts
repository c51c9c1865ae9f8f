import { z } from 'zod';

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export const exportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

type CsvValue = string | number | boolean | Date | null | undefined;

/** One CSV column: its header, and its cell of a row. `text` marks free text, which is guarded against formulas. */
export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => CsvValue;
  text?: boolean;
}

/** How one kind of row is written: the flat CSV columns, and the whole row as JSON. */
export interface ExportShape<Row> {
  csv: readonly CsvColumn<Row>[];
  json: (row: Row) => unknown;
}

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"): such text gets a
// leading apostrophe, which spreadsheets show as text and which a reader of the raw file can strip.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 cell: quoted when it holds a quote, comma, CR or LF (quotes doubled); empty for null. */
export function csvCell(value: CsvValue, text = false): string {
  if (value === null || value === undefined) return '';
  let cell = value instanceof Date ? value.toISOString() : String(value);
  if (text && FORMULA_START.test(cell)) cell = `'${cell}`;
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function csvLine<Row>(columns: readonly CsvColumn<Row>[], row: Row): string {
  return `${columns.map((column) => csvCell(column.value(row), column.text)).join(',')}\r\n`;
}

/**
 * The file, a string per page of rows. Nothing is yielded before the first page is read, so a query that fails at
 * once can still be answered with an error status; an empty selection is a valid empty file (CSV: the header only).
 */
export async function* encodeExport<Row>(
  format: ExportFormat,
  shape: ExportShape<Row>,
  pages: AsyncIterable<Row[]>,
): AsyncGenerator<string> {
  const header = `${shape.csv.map((column) => csvCell(column.header)).join(',')}\r\n`;
  const opening = format === 'csv' ? header : format === 'json' ? '[' : '';
  let first = true;
  for await (const page of pages) {
    let chunk = first ? opening : '';
    for (const row of page) {
      if (format === 'csv') chunk += csvLine(shape.csv, row);
      else if (format === 'ndjson') chunk += `${JSON.stringify(shape.json(row))}\n`;
      else chunk += `${first ? '\n' : ',\n'}${JSON.stringify(shape.json(row))}`;
      first = false;
    }
    yield chunk;
  }
  const closing = format === 'json' ? (first ? ']\n' : '\n]\n') : '';
  yield first ? opening + closing : closing;
}
