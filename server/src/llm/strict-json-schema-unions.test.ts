import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicViolations, openaiStrictViolations } from '../../test/strict-schema-rules.js';
import { toAnthropicJsonSchema, toStrictJsonSchema, type StrictJsonSchema } from './strict-json-schema/index.js';

// Unions whose branches share every key and differ only in a constraint the strict schema keeps: decode must read
// an answer through a branch it satisfies, since the branch decides whether null means "absent".

const ANSWERS_PER_SCHEMA = 500;

function convert(schema: z.ZodType): StrictJsonSchema {
  const strict = toStrictJsonSchema(schema);
  expect(openaiStrictViolations(strict.schema)).toEqual([]);
  expect(anthropicViolations(toAnthropicJsonSchema(strict.schema))).toEqual([]);
  return strict;
}

/** mulberry32: a fixed seed, so a failure names an answer that fails again. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  const value = values[Math.floor(random() * values.length)];
  if (value === undefined) throw new Error('pick from an empty list');
  return value;
}

const CHARACTERS = ['a', 'A', 'b', 'z', '0', ' ', '-', 'é', '😀', '\n'];

/** Any string, a third of them starting with "a" so both branches are hit. */
function randomString(random: () => number): string {
  const length = Math.floor(random() * 6);
  let text = random() < 1 / 3 ? 'a' : '';
  for (let index = 0; index < length; index += 1) text += pick(random, CHARACTERS);
  return text;
}

/** Any number, with the values around the bound 5 and odd ones (negative, fractional, huge) overrepresented. */
function randomNumber(random: () => number): number {
  const edges = [5, 4.999, 5.001, 4, 6, 0, -0, -5, 0.1, 1e15, -1e-9, Number.MAX_SAFE_INTEGER];
  if (random() < 0.5) return pick(random, edges);
  return (random() - 0.5) * 20;
}

function randomNumberOrNull(random: () => number): number | null {
  return random() < 0.5 ? null : randomNumber(random);
}

/** Decodes each answer and returns those zod rejects after decode, with zod's first issue. */
function rejectedAfterDecode(schema: z.ZodType, answers: unknown[]): { answer: unknown; issue: string }[] {
  const strict = convert(schema);
  const rejected: { answer: unknown; issue: string }[] = [];
  for (const answer of answers) {
    const result = schema.safeParse(strict.decode(answer));
    if (!result.success) rejected.push({ answer, issue: result.error.issues[0]?.message ?? '' });
  }
  return rejected;
}

describe('decoding a union whose branches differ only in a kept constraint', () => {
  const ByPattern = z.object({
    u: z.union([
      z.object({ kind: z.string().regex(/^a/), v: z.number().optional() }),
      z.object({ kind: z.string(), v: z.number().nullable() }),
    ]),
  });
  const ByBound = z.object({
    u: z.union([
      z.object({ n: z.number().min(5), v: z.number().optional() }),
      z.object({ n: z.number(), v: z.number().nullable() }),
    ]),
  });

  it('reads an answer that fails the first branch pattern through the branch that keeps null', () => {
    const strict = convert(ByPattern);

    expect(ByPattern.parse(strict.decode({ u: { kind: '', v: null } }))).toEqual({ u: { kind: '', v: null } });
    expect(ByPattern.parse(strict.decode({ u: { kind: 'ab', v: null } }))).toEqual({ u: { kind: 'ab' } });
  });

  it('reads an answer below the first branch minimum through the branch that keeps null', () => {
    const strict = convert(ByBound);

    expect(ByBound.parse(strict.decode({ u: { n: 4.5, v: null } }))).toEqual({ u: { n: 4.5, v: null } });
    expect(ByBound.parse(strict.decode({ u: { n: 5, v: null } }))).toEqual({ u: { n: 5 } });
  });

  it(`decodes ${ANSWERS_PER_SCHEMA} random answers to the pattern union into values zod accepts`, () => {
    const random = seededRandom(9);
    const answers = Array.from({ length: ANSWERS_PER_SCHEMA }, () => ({
      u: { kind: randomString(random), v: randomNumberOrNull(random) },
    }));

    expect(rejectedAfterDecode(ByPattern, answers)).toEqual([]);
  });

  it(`decodes ${ANSWERS_PER_SCHEMA} random answers to the bounds union into values zod accepts`, () => {
    const random = seededRandom(10);
    const answers = Array.from({ length: ANSWERS_PER_SCHEMA }, () => ({
      u: { n: randomNumber(random), v: randomNumberOrNull(random) },
    }));

    expect(rejectedAfterDecode(ByBound, answers)).toEqual([]);
  });

  it('checks the constraints of nested values, array lengths and multiples too', () => {
    const Nested = z.object({
      u: z.union([
        z.object({
          tags: z.array(z.string()).max(1),
          at: z.object({ step: z.number().multipleOf(0.1) }),
          v: z.number().optional(),
        }),
        z.object({ tags: z.array(z.string()), at: z.object({ step: z.number() }), v: z.number().nullable() }),
      ]),
    });
    const strict = convert(Nested);

    expect(Nested.parse(strict.decode({ u: { tags: ['a', 'b'], at: { step: 0.3 }, v: null } }))).toEqual({
      u: { tags: ['a', 'b'], at: { step: 0.3 }, v: null },
    });
    expect(Nested.parse(strict.decode({ u: { tags: ['a'], at: { step: 0.25 }, v: null } }))).toEqual({
      u: { tags: ['a'], at: { step: 0.25 }, v: null },
    });
    expect(Nested.parse(strict.decode({ u: { tags: ['a'], at: { step: 0.3 }, v: null } }))).toEqual({
      u: { tags: ['a'], at: { step: 0.3 } },
    });
  });

  it('falls back to the first branch whose shape fits when no branch meets its constraints', () => {
    const Flagged = z.object({
      u: z.union([
        z.object({ code: z.string().regex(/^x/i), v: z.number().optional() }),
        z.object({ code: z.literal('q') }),
      ]),
    });
    const strict = convert(Flagged);

    // JSON schema has no flags: the strict pattern is "^x", which "X1" fails; zod's /^x/i accepts it.
    expect(Flagged.parse(strict.decode({ u: { code: 'X1', v: null } }))).toEqual({ u: { code: 'X1' } });
  });
});
