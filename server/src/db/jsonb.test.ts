import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { toJsonb } from './jsonb.js';

let database: DatabaseHandle;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

/** The value as the database's jsonb holds it, read back. */
async function throughJsonb(text: string): Promise<unknown> {
  const { rows } = await sql<{ value: unknown }>`select ${text}::jsonb as value`.execute(database.db);
  return rows[0]?.value;
}

describe('toJsonb', () => {
  it.each([
    ['NUL', '\u0000'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udfff'],
  ])('is needed: jsonb refuses %s as JSON.stringify writes it', async (_what, bad) => {
    await expect(throughJsonb(JSON.stringify({ text: `a${bad}b` }))).rejects.toThrow();
  });

  it.each([
    ['NUL', '\u0000'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udfff'],
  ])('writes %s as U+FFFD in strings and object keys, at any depth, so jsonb takes it', async (_what, bad) => {
    const value = { text: `a${bad}b`, [`key${bad}`]: 1, list: [`${bad}`, { deep: { [`${bad}`]: `x${bad}` } }] };

    expect(await throughJsonb(toJsonb(value))).toEqual({
      text: 'a\uFFFDb',
      'key\uFFFD': 1,
      list: ['\uFFFD', { deep: { '\uFFFD': 'x\uFFFD' } }],
    });
  });

  it('leaves well-formed text as it is: surrogate pairs, U+FFFD and a backslash-u written out as text', async () => {
    const value = {
      emoji: '\ud83d\ude00',
      replacement: '\uFFFD',
      escapeAsText: '\\ud800 and \\u0000',
      '\ud83d\ude00': true,
    };

    expect(await throughJsonb(toJsonb(value))).toEqual(value);
  });
});
