import { describe, expect, it } from 'vitest';
import { formatRows } from './sql-output.js';

const ROWS = [
  { name: 'intent recognition', calls: 12, cost_usd: '0.00123400', day: new Date('2026-12-04T00:00:00Z') },
  { name: 'reply, "drafted"', calls: 3n, cost_usd: null, day: new Date('2026-12-03T00:00:00Z') },
];

describe('npm run db:sql output', () => {
  it('lines a table up as psql does, with a row count', () => {
    expect(formatRows(ROWS, 'table').split('\n')).toEqual([
      'name               | calls | cost_usd   | day                     ',
      '-------------------+-------+------------+-------------------------',
      'intent recognition | 12    | 0.00123400 | 2026-12-04T00:00:00.000Z',
      'reply, "drafted"   | 3     |            | 2026-12-03T00:00:00.000Z',
      '(2 rows)',
      '',
    ]);
  });

  it('writes CSV per RFC 4180 and JSON with bigints as their digits', () => {
    expect(formatRows(ROWS, 'csv')).toBe(
      'name,calls,cost_usd,day\r\n' +
        'intent recognition,12,0.00123400,2026-12-04T00:00:00.000Z\r\n' +
        '"reply, ""drafted""",3,,2026-12-03T00:00:00.000Z\r\n',
    );
    expect(JSON.parse(formatRows(ROWS, 'json'))).toEqual([
      { name: 'intent recognition', calls: 12, cost_usd: '0.00123400', day: '2026-12-04T00:00:00.000Z' },
      { name: 'reply, "drafted"', calls: '3', cost_usd: null, day: '2026-12-03T00:00:00.000Z' },
    ]);
  });

  it('keeps a row on one line, and says when there are none', () => {
    expect(formatRows([{ body: 'two\nlines', emoji: '📦' }], 'table').split('\n')[2]).toBe('two\\nlines | 📦    ');
    expect(formatRows([], 'table')).toBe('\n\n(0 rows)\n');
  });
});
