import { describe, expect, it } from 'vitest';
import { type SqlOutputFormat, formatRows, pointInto, rowPrinter, terminalText } from './sql-output.js';

const COLUMNS = ['name', 'calls', 'cost_usd', 'day'];
const ROWS = [
  ['intent recognition', 12, '0.00123400', new Date('2026-12-04T00:00:00Z')],
  ['reply, "drafted"', 3n, null, new Date('2026-12-03T00:00:00Z')],
];

/** What the printer prints for rows that come in batches of `size`. */
function inBatches(format: SqlOutputFormat, columns: string[], rows: unknown[][], size: number): string {
  const printer = rowPrinter(format);
  let text = printer.head(columns);
  for (let start = 0; start < rows.length; start += size) text += printer.rows(rows.slice(start, start + size));
  return text + printer.end();
}

describe('npm run db:sql output', () => {
  it('lines a table up as psql does, with a row count', () => {
    expect(formatRows(COLUMNS, ROWS, 'table').split('\n')).toEqual([
      'name               | calls | cost_usd   | day                     ',
      '-------------------+-------+------------+-------------------------',
      'intent recognition | 12    | 0.00123400 | 2026-12-04T00:00:00.000Z',
      'reply, "drafted"   | 3     |            | 2026-12-03T00:00:00.000Z',
      '(2 rows)',
      '',
    ]);
  });

  it('writes CSV per RFC 4180 and JSON with bigints as their digits', () => {
    expect(formatRows(COLUMNS, ROWS, 'csv')).toBe(
      'name,calls,cost_usd,day\r\n' +
        'intent recognition,12,0.00123400,2026-12-04T00:00:00.000Z\r\n' +
        '"reply, ""drafted""",3,,2026-12-03T00:00:00.000Z\r\n',
    );
    expect(JSON.parse(formatRows(COLUMNS, ROWS, 'json'))).toEqual([
      { name: 'intent recognition', calls: 12, cost_usd: '0.00123400', day: '2026-12-04T00:00:00.000Z' },
      { name: 'reply, "drafted"', calls: '3', cost_usd: null, day: '2026-12-03T00:00:00.000Z' },
    ]);
  });

  it('guards CSV text a spreadsheet would run as a formula, and leaves numbers as they are', () => {
    const values = [-5, '-0.5', -1.5, '-1.5e-7', '-Infinity', 'NaN', -12n, '=1+1', '@me', '+33 1', '-2+3', '-'];

    expect(
      formatRows(
        values.map((_, index) => `c${index}`),
        [values],
        'csv',
      ).split('\r\n')[1],
    ).toBe("-5,-0.5,-1.5,-1.5e-7,-Infinity,NaN,-12,'=1+1,'@me,'+33 1,'-2+3,'-");
  });

  it('keeps a row on one line, and names the columns of an empty result', () => {
    expect(formatRows(['body', 'emoji'], [['two\nlines', '📦']], 'table').split('\n')[2]).toBe('two\\nlines | 📦   ');
    expect(formatRows(['id', 'name'], [], 'table')).toBe('id | name\n---+-----\n(0 rows)\n');
    expect(formatRows(['id', 'name'], [], 'csv')).toBe('id,name\r\n');
    expect(formatRows(['id', 'name'], [], 'json')).toBe('[]\n');
  });

  it('prints batch by batch what it prints at once, JSON as JSON.stringify indents it', () => {
    const rows = Array.from({ length: 7 }, (_, index) => [index, `row ${index}`, { nested: [index] }]);
    const columns = ['n', 'label', 'value'];
    for (const format of ['csv', 'json'] as const) {
      expect(inBatches(format, columns, rows, 3)).toBe(formatRows(columns, rows, format));
    }
    const objects = rows.map(([n, label, value]) => ({ n, label, value }));
    expect(formatRows(columns, rows, 'json')).toBe(`${JSON.stringify(objects, null, 2)}\n`);
  });

  it('lines up wide and combining characters by the columns a terminal gives them', () => {
    const lines = formatRows(
      ['text', 'n'],
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
    const table = formatRows(['a\tb'], [['\u001b[31mred\u001b[0m\r\u007f\u009b']], 'table');

    expect(table.split('\n').slice(0, 3)).toEqual([
      'a\\tb'.padEnd(36),
      '-'.repeat(36),
      '\\u001b[31mred\\u001b[0m\\r\\u007f\\u009b',
    ]);
    expect(table.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(terminalText('invalid input: "\u001b[2J"\nLINE 1: …')).toBe('invalid input: "\\u001b[2J"\nLINE 1: …');
    // CSV and JSON carry the data as it is (JSON escapes C0 controls; DEL and C1 pass as they are).
    expect(formatRows(['a'], [['\u001b[31m']], 'csv')).toBe('a\r\n\u001b[31m\r\n');
  });

  it('widens a column from the batch that needs it, and counts every row', () => {
    const lines = inBatches('table', ['n'], [['1'], ['2'], ['12345']], 2).split('\n');

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
