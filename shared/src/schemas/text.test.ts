import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPostgresText, postgresText, toPostgresText } from './text.js';

const PAIR = '\ud83d\ude00'; // 😀, a well-formed surrogate pair

describe('isPostgresText', () => {
  it.each([
    ['plain text', 'hello'],
    ['the empty string', ''],
    ['a surrogate pair', `smile ${PAIR}`],
    ['two pairs in a row', `${PAIR}${PAIR}`],
    ['U+FFFD itself', '\uFFFD'],
    ['a backslash-u written out as text', '\\ud800 \\u0000'],
  ])('accepts %s', (_what, text) => {
    expect(isPostgresText(text)).toBe(true);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', 'a\udc00b'],
    ['a high surrogate at the end', 'a\udbff'],
    ['a low surrogate at the start', '\udfffa'],
    ['a pair written backwards', '\ude00\ud83d'],
    ['a high surrogate before a pair', `\ud800${PAIR}`],
    ['a low surrogate after a pair', `${PAIR}\ude00`],
  ])('refuses %s', (_what, text) => {
    expect(isPostgresText(text)).toBe(false);
  });
});

describe('toPostgresText', () => {
  it('replaces NUL and each lone surrogate with U+FFFD and keeps surrogate pairs', () => {
    expect(toPostgresText(`a\u0000b\ud800c\udfff${PAIR}\ude00\ud83d`)).toBe(`a\uFFFDb\uFFFDc\uFFFD${PAIR}\uFFFD\uFFFD`);
  });

  it('returns well-formed text unchanged', () => {
    const text = `hello ${PAIR} \\u0000`;
    expect(toPostgresText(text)).toBe(text);
  });
});

describe('postgresText', () => {
  const schema = z.object({ name: postgresText(z.string().trim().min(1)) });

  it("passes text PostgreSQL can store, after the schema's own transforms", () => {
    expect(schema.parse({ name: `  ${PAIR} ok ` })).toEqual({ name: `${PAIR} ok` });
  });

  it('refuses NUL with an issue that names it and where it is', () => {
    const result = schema.safeParse({ name: 'ab\u0000c' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['name'],
        message: 'must not contain a NUL character (\\u0000 at index 2): PostgreSQL cannot store it',
      }),
    ]);
  });

  it('refuses a lone surrogate with an issue that names it and where it is', () => {
    const result = schema.safeParse({ name: `${PAIR}x\udc00` });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['name'],
        message:
          'must not contain a lone UTF-16 surrogate (\\udc00 at index 3, half of a character): PostgreSQL cannot store it',
      }),
    ]);
  });

  it("still applies the schema's own checks", () => {
    expect(schema.safeParse({ name: '   ' }).success).toBe(false);
  });
});
