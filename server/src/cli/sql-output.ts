import stringWidth from 'string-width';
import { csvCell } from '../export/export-formats.js';
import type { Column } from './read-only-query.js';

export type SqlOutputFormat = 'table' | 'csv' | 'json';

/**
 * Rows as npm run db:sql prints them, written as they are read: an aligned table as psql's, RFC 4180 CSV, or one
 * JSON array. `head` once with the columns, `rows` for each batch, then `end`; each returns the text to print.
 */
export interface RowPrinter {
  head(columns: readonly Column[]): string;
  rows(rows: readonly (readonly unknown[])[]): string;
  end(): string;
}

export function rowPrinter(format: SqlOutputFormat): RowPrinter {
  if (format === 'json') return jsonPrinter();
  if (format === 'csv') return csvPrinter();
  return tablePrinter();
}

/** All the rows at once, as the printer prints them batch by batch. */
export function formatRows(
  columns: readonly Column[],
  rows: readonly (readonly unknown[])[],
  format: SqlOutputFormat,
): string {
  const printer = rowPrinter(format);
  return printer.head(columns) + printer.rows(rows) + printer.end();
}

function jsonPrinter(): RowPrinter {
  let columns: readonly string[] = [];
  let written = 0;
  return {
    head(described) {
      columns = described.map((column) => column.name);
      return '[';
    },
    rows(rows) {
      // JSON.stringify(allRows, …, 2), a row at a time: each row indented one level more (a string value holds no
      // line break: JSON escapes it).
      return rows
        .map((row) => {
          const object = Object.fromEntries(columns.map((column, index) => [column, row[index]]));
          const text = JSON.stringify(object, jsonValue, 2).replaceAll('\n', '\n  ');
          return `${written++ === 0 ? '' : ','}\n  ${text}`;
        })
        .join('');
    },
    end: () => (written === 0 ? ']\n' : '\n]\n'),
  };
}

// A number as PostgreSQL writes one (int, numeric, float): no formula, so a negative one keeps its sign as its first
// character. Told by what the cell holds, whatever its column's type: a number written as text is no formula either.
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$|^-?Infinity$|^NaN$/i;

/**
 * One CSV cell: text a spreadsheet would run as a formula gets a leading apostrophe, as the app's CSV export does. An
 * empty string is quoted, a null is not, as PostgreSQL's `COPY … csv` tells them apart.
 */
function csvValue(value: unknown): string {
  const text = cellText(value);
  if (text === '') return '""';
  return csvCell(text, text !== null && !NUMBER.test(text));
}

/** RFC 4180, a line a row. */
function csvPrinter(): RowPrinter {
  const line = (cells: string[]) => `${cells.join(',')}\r\n`;
  return {
    head: (columns) => line(columns.map((column) => csvCell(column.name))),
    rows: (rows) => rows.map((row) => line(row.map(csvValue))).join(''),
    end: () => '',
  };
}

// int2, int4, int8, oid, xid, xid8, cid, float4, float8, money, numeric: right-aligned in a table, as psql does.
const NUMERIC_TYPE_OIDS = new Set([21, 23, 20, 26, 28, 5069, 29, 700, 701, 790, 1700]);

/**
 * Columns as wide as their widest value in the first batch; a wider value in a later batch widens its column from
 * there on (psql with FETCH_COUNT lines each batch up on its own, too). Widths are terminal columns: a CJK character
 * or an emoji takes two, a combining accent none. Numbers are right-aligned; a null is an empty cell, as psql shows
 * it (CSV and JSON tell it from ''). One line a row: a control character in a cell is shown as an escape (a line
 * break as \n, ESC as \u001b), so text an LLM wrote cannot move the cursor or recolour the terminal.
 */
function tablePrinter(): RowPrinter {
  let names: readonly string[] = [];
  let rightAligned: readonly boolean[] = [];
  let widths: number[] = [];
  let count = 0;
  let headed = false;
  const pad = (values: readonly string[], aligned = rightAligned) =>
    values
      .map((value, index) => {
        const size = (widths[index] ?? 0) + value.length - width(value);
        return aligned[index] ? value.padStart(size) : value.padEnd(size);
      })
      .join(' | ');
  // Printed with the first rows, lined up with them; the names on the left, as they are written.
  const head = () => {
    headed = true;
    return [pad(names, []), widths.map((size) => '-'.repeat(size)).join('-+-')];
  };
  return {
    head(columns) {
      names = columns.map((column) => escapeControls(column.name));
      rightAligned = columns.map((column) => NUMERIC_TYPE_OIDS.has(column.typeId));
      widths = names.map(width);
      return '';
    },
    rows(rows) {
      const cells = rows.map((row) => row.map((value) => escapeControls(cellText(value) ?? '')));
      for (const row of cells) {
        for (const [index, cell] of row.entries()) widths[index] = Math.max(widths[index] ?? 0, width(cell));
      }
      const lines = [...(headed || cells.length === 0 ? [] : head()), ...cells.map((cell) => pad(cell))];
      count += rows.length;
      return lines.map((line) => `${line}\n`).join('');
    },
    end: () => [...(headed ? [] : head()), `(${count} row${count === 1 ? '' : 's'})`, ''].join('\n'),
  };
}

/**
 * Where in the statement an error of PostgreSQL is (`position`: characters from 1), as psql shows it: the line, and a
 * caret under the place, in terminal columns; '' without a position.
 */
export function pointInto(statement: string, position: unknown): string {
  const at = Number(position);
  if (typeof position !== 'string' || !Number.isInteger(at) || at < 1) return '';
  // A tab as one space, as libpq shows it, so the caret stays under its place.
  const text = statement.replaceAll('\t', ' ');
  const lines = [...text]
    .slice(0, at - 1)
    .join('')
    .split('\n');
  const prefix = `LINE ${lines.length}: `;
  const column = width(escapeControls(lines.at(-1) ?? ''));
  return `${prefix}${escapeControls(text.split('\n')[lines.length - 1] ?? '')}\n${' '.repeat(prefix.length + column)}^`;
}

/** Text for the terminal, line by line, with every other control character shown as an escape (an error message can quote a value). */
export function terminalText(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

/** A value as text: dates in ISO 8601, JSON values (jsonb, arrays) as JSON, null as null. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value, jsonValue);
  return String(value);
}

/** JSON has no bigint, NaN or Infinity: written as PostgreSQL writes them. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 controls and DEL as escapes: a line break as \n, any other as \u00XX (as JSON writes it). */
function escapeControls(text: string): string {
  return text.replace(
    /\p{Cc}/gu,
    (control) => ESCAPES[control] ?? `\\u${control.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Terminal columns: a wide character (CJK, most emoji) takes two, a combining mark or zero-width joiner none. */
function width(text: string | undefined): number {
  return stringWidth(text ?? '');
}
