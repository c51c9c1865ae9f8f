import { csvCell } from '../export/export-formats.js';

export type SqlOutputFormat = 'table' | 'csv' | 'json';

/** Rows as npm run db:sql prints them: an aligned table as psql's, RFC 4180 CSV, or one JSON array. */
export function formatRows(rows: readonly Record<string, unknown>[], format: SqlOutputFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, jsonValue, 2)}\n`;
  const columns = Object.keys(rows[0] ?? {});
  if (format === 'csv') {
    const line = (cells: string[]) => `${cells.join(',')}\r\n`;
    return (
      line(columns.map((column) => csvCell(column))) +
      rows.map((row) => line(columns.map((column) => csvCell(cellText(row[column]), true)))).join('')
    );
  }
  // One line a row: a line break in a cell is shown as \n.
  const cells = rows.map((row) => columns.map((column) => (cellText(row[column]) ?? '').replaceAll('\n', '\\n')));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => width(row[index]))));
  const pad = (values: string[]) =>
    values.map((value, index) => value.padEnd((widths[index] ?? 0) + value.length - width(value))).join(' | ');
  const rule = widths.map((size) => '-'.repeat(size)).join('-+-');
  const count = `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return [pad(columns), rule, ...cells.map(pad), count, ''].join('\n');
}

/** A value as text: dates in ISO 8601, JSON values (jsonb, arrays) as JSON, null as null. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value, jsonValue);
  return String(value);
}

/** int8 arrives as a bigint on PGlite: JSON has no bigint, so it is written as its digits. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Characters, not UTF-16 units: an emoji takes one place in a column, not two. */
function width(text: string | undefined): number {
  return [...(text ?? '')].length;
}
