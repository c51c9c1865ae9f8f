import { describe, expect, it } from 'vitest';
import type { Column } from './read-only-query.js';
import { type SqlOutputFormat, formatRows, pointInto, rowPrinter, terminalText } from './sql-output.js';

const TEXT = 25;
const INT4 = 23;
const NUMERIC = 1700;
const TIMESTAMPTZ = 1184;
/** Columns of type text. */
const texts = (...names: string[]): Column[] => names.map((name) => ({ name, typeId: TEXT }));

const COLUMNS: Column[] = [
  { name: 'name', typeId: TEXT },
  { name: 'calls', typeId: INT4 },
  { name: 'cost_usd', typeId: NUMERIC },
  { name: 'day', typeId: TIMESTAMPTZ },
];
// As db:sql reads them for a table or CSV: PostgreSQL's text.
const ROWS = [
  ['intent recognition', '12', '0.00123400', '2026-12-04 00:00:00+00'],
  ['reply, "drafted"', '3', null, '2026-12-03 00:00:00+00'],
];

/** What the printer prints for rows that come in batches of `size`. */
function inBatches(format: SqlOutputFormat, columns: Column[], rows: unknown[][], size: number): string {
  const printer = rowPrinter(format);
  let text = printer.head(columns);
  for (let start = 0; start < rows.length; start += size) text += printer.rows(rows.slice(start, start + size));
  return text + printer.end();
}

describe('npm run db:sql output', () => {
  it('lines a table up as psql does, numbers to the right, with a row count', () => {
    expect(formatRows(COLUMNS, ROWS, 'table').split('\n')).toEqual([
      'name               | calls | cost_usd   | day                   ',
      '-------------------+-------+------------+-----------------------',
      'intent recognition |    12 | 0.00123400 | 2026-12-04 00:00:00+00',
      'reply, "drafted"   |     3 |            | 2026-12-03 00:00:00+00',
      '(2 rows)',
      '',
    ]);
  });

  it('writes CSV per RFC 4180, an empty string quoted and a null not, as COPY does', () => {
    expect(formatRows(COLUMNS, ROWS, 'csv')).toBe(
      'name,calls,cost_usd,day\r\n' +
        'intent recognition,12,0.00123400,2026-12-04 00:00:00+00\r\n' +
        '"reply, ""drafted""",3,,2026-12-03 00:00:00+00\r\n',
    );
    expect(formatRows(texts('a', 'b'), [['', null]], 'csv')).toBe('a,b\r\n"",\r\n');
  });

  it('writes in JSON what JSON has no number for as PostgreSQL writes it', () => {
    const values = [12, 12n, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, [1.5, Number.NaN], null];
    const columns = texts(...values.map((_, index) => `c${index}`));

    expect(JSON.parse(formatRows(columns, [values], 'json'))).toEqual([
      { c0: 12, c1: '12', c2: 'NaN', c3: 'Infinity', c4: '-Infinity', c5: [1.5, 'NaN'], c6: null },
    ]);
  });

  it('guards CSV text a spreadsheet would run as a formula, and leaves numbers as they are', () => {
    const values = [-5, '-0.5', -1.5, '-1.5e-7', '-Infinity', 'NaN', -12n, '=1+1', '@me', '+33 1', '-2+3', '-'];

    expect(formatRows(texts(...values.map((_, index) => `c${index}`)), [values], 'csv').split('\r\n')[1]).toBe(
      "-5,-0.5,-1.5,-1.5e-7,-Infinity,NaN,-12,'=1+1,'@me,'+33 1,'-2+3,'-",
    );
  });

  it('keeps a row on one line, and names the columns of an empty result', () => {
    expect(formatRows(texts('body', 'emoji'), [['two\nlines', '📦']], 'table').split('\n')[2]).toBe(
      'two\\nlines | 📦   ',
    );
    expect(formatRows(texts('id', 'name'), [], 'table')).toBe('id | name\n---+-----\n(0 rows)\n');
    expect(formatRows(texts('id', 'name'), [], 'csv')).toBe('id,name\r\n');
    expect(formatRows(texts('id', 'name'), [], 'json')).toBe('[]\n');
  });

  it('prints batch by batch what it prints at once, JSON as JSON.stringify indents it', () => {
    const rows = Array.from({ length: 7 }, (_, index) => [index, `row ${index}`, { nested: [index] }]);
    const columns = texts('n', 'label', 'value');
    for (const format of ['csv', 'json'] as const) {
      expect(inBatches(format, columns, rows, 3)).toBe(formatRows(columns, rows, format));
    }
    const objects = rows.map(([n, label, value]) => ({ n, label, value }));
    expect(formatRows(columns, rows, 'json')).toBe(`${JSON.stringify(objects, null, 2)}\n`);
  });

  it('lines up wide and combining characters by the columns a terminal gives them', () => {
    const lines = formatRows(
      texts('text', 'n'),
      [['数据'], ['📦'], ['cafe\u0301'], ['abcd']].map(([text], n) => [text, n]),
      'table',
    );

    expect(lines.split('\n').slice(0, 6)).toEqual([
      'text | n',
      '-----+--',
      '数据 | 0',
      '📦   | 1',
      'cafe\u0301 | 2',
      'abcd | 3',
    ]);
  });

  it('shows control characters in a table as escapes, so a cell cannot drive the terminal', () => {
    const table = formatRows(texts('a\tb'), [['\u001b[31mred\u001b[0m\r\u007f\u009b']], 'table');

    expect(table.split('\n').slice(0, 3)).toEqual([
      'a\\tb'.padEnd(36),
      '-'.repeat(36),
      '\\u001b[31mred\\u001b[0m\\r\\u007f\\u009b',
    ]);
    expect(table.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(terminalText('invalid input: "\u001b[2J"\nLINE 1: …')).toBe('invalid input: "\\u001b[2J"\nLINE 1: …');
    // CSV and JSON carry the data as it is (JSON escapes C0 controls; DEL and C1 pass as they are).
    expect(formatRows(texts('a'), [['\u001b[31m']], 'csv')).toBe('a\r\n\u001b[31m\r\n');
  });

  it('widens a column from the batch that needs it, and counts every row', () => {
    const lines = inBatches('table', [{ name: 'n', typeId: INT4 }], [['1'], ['2'], ['12345']], 2).split('\n');

    expect(lines).toEqual(['n', '-', '1', '2', '12345', '(3 rows)', '']);
  });

  it('points at the place of an error in its line, as psql does', () => {
    const statement = 'select name,\n  nope, 📦\nfrom inference_log';

    expect(pointInto(statement, String(statement.indexOf('nope') + 1)).split('\n')).toEqual([
      'LINE 2:   nope, 📦',
      '          ^',
    ]);
    expect(pointInto('select 📦 nope', '10').split('\n')).toEqual(['LINE 1: select 📦 nope', `${' '.repeat(18)}^`]);
    expect(pointInto("select '数据', nope", '14').split('\n')).toEqual([
      "LINE 1: select '数据', nope",
      `${' '.repeat(23)}^`,
    ]);
    expect(pointInto('select\tnope', '8').split('\n')).toEqual(['LINE 1: select nope', `${' '.repeat(15)}^`]);
    expect(pointInto("select '\u001b', nope", '13').split('\n')).toEqual([
      "LINE 1: select '\\u001b', nope",
      `${' '.repeat(25)}^`,
    ]);
    expect(pointInto(statement, undefined)).toBe('');
  });
});
