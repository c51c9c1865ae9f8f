import type { z } from 'zod';

// Without the `u` flag a regex sees UTF-16 code units: NUL, a high surrogate not followed by a low one, or a low one
// not preceded by a high one. PostgreSQL text and jsonb hold neither NUL nor half a character (JSON.stringify writes
// a lone surrogate as the escape \ud800, which jsonb refuses).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this regex is for.
const NOT_POSTGRES_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NOT_POSTGRES_TEXT_ALL = new RegExp(NOT_POSTGRES_TEXT.source, 'g');
const REPLACEMENT_CHARACTER = '\uFFFD';

/** Whether PostgreSQL text and jsonb can hold `text`: no NUL and no lone UTF-16 surrogate. */
export function isPostgresText(text: string): boolean {
  return !NOT_POSTGRES_TEXT.test(text);
}

/** `text` with each NUL and each lone UTF-16 surrogate replaced by U+FFFD, for values nobody validated (a model's). */
export function toPostgresText(text: string): string {
  return isPostgresText(text) ? text : text.replace(NOT_POSTGRES_TEXT_ALL, REPLACEMENT_CHARACTER);
}

/**
 * What in `text` PostgreSQL cannot store, for a message: `a NUL character (\u0000 at index 2)`, or undefined when
 * it can store all of it. Names the first such character.
 */
export function describeNonPostgresText(text: string): string | undefined {
  const found = NOT_POSTGRES_TEXT.exec(text);
  if (!found) return undefined;
  const character = found[0];
  const escaped = `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return character === '\u0000'
    ? `a NUL character (${escaped} at index ${found.index})`
    : `a lone UTF-16 surrogate (${escaped} at index ${found.index}, half of a character)`;
}

/**
 * The string schema, refusing text PostgreSQL cannot store (NUL, a lone UTF-16 surrogate) with an issue that names
 * the character and its index, so such input is a BAD_REQUEST rather than a failed write or query. Apply it to every
 * input string that may reach the database.
 */
export function postgresText(schema: z.ZodString): z.ZodString {
  return schema.check((context) => {
    const problem = describeNonPostgresText(context.value);
    if (problem)
      context.issues.push({
        code: 'custom',
        message: `must not contain ${problem}: PostgreSQL cannot store it`,
        input: context.value,
      });
  });
}
