import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicViolations, openaiStrictViolations } from '../../test/strict-schema-rules.js';
import { defineTask } from './task.js';
import { TaskRegistry } from './tasks.js';
import { toAnthropicJsonSchema, toStrictJsonSchema, UnsupportedSchemaError } from './strict-json-schema/index.js';

// OpenAI's published Structured Outputs limits, each tried just at the limit (converted, and clean by the test
// rules) and one past it (refused at conversion, naming the limit and the path).

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

function convertsCleanly(schema: z.ZodType): void {
  const { schema: strict } = toStrictJsonSchema(schema);
  expect(openaiStrictViolations(strict)).toEqual([]);
  expect(anthropicViolations(toAnthropicJsonSchema(strict))).toEqual([]);
}

function refusal(schema: z.ZodType): UnsupportedSchemaError {
  try {
    toStrictJsonSchema(schema);
  } catch (error) {
    if (UnsupportedSchemaError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the schema was converted, not refused');
}

/** An object of `count` boolean properties named p0, p1, … */
function flatObject(count: number): z.ZodObject {
  return z.object(Object.fromEntries(range(count).map((index) => [`p${index}`, z.boolean()])));
}

/** `levels` objects nested one in the other under the key "n", the innermost holding a string. */
function nestedObjects(levels: number): z.ZodType {
  let schema: z.ZodType = z.object({ leaf: z.string() });
  for (let level = 1; level < levels; level += 1) schema = z.object({ n: schema });
  return schema;
}

/** `count` distinct strings of `length` characters each. */
function enumValues(count: number, length: number, prefix = 'v'): string[] {
  return range(count).map((index) => `${prefix}${index}`.padEnd(length, '.'));
}

function longEnum(count: number, length: number, prefix = 'v'): z.ZodEnum {
  return z.enum(enumValues(count, length, prefix));
}

describe('OpenAI structured-output limits, checked after conversion', () => {
  it('accepts 5000 object properties in all and refuses 5001, counting the record entries it adds', () => {
    // 4998 + the { key, value } of a record's entries = 5000.
    const AtLimit = flatObject(4997).extend({ tags: z.record(z.string(), z.string()) });
    const PastLimit = flatObject(4998).extend({ tags: z.record(z.string(), z.string()) });

    convertsCleanly(AtLimit);
    const error = refusal(PastLimit);
    expect(error.path).toBe('$');
    expect(error.message).toContain('at most 5000 object properties in all, and this schema has 5001');
  });

  it('accepts 10 levels of nesting and refuses 11, naming the deepest path', () => {
    convertsCleanly(nestedObjects(10));
    const error = refusal(nestedObjects(11));

    expect(error.path).toBe('$.n.n.n.n.n.n.n.n.n.n');
    expect(error.message).toContain('at most 10 levels of nesting, and this path is 11 deep');
  });

  it('counts the { value } wrapper of an array root and the entries of a record as levels', () => {
    // An array of 8 nested objects: wrapper object + array + 8 objects = 10, then 11.
    convertsCleanly(z.array(nestedObjects(8)));
    expect(refusal(z.array(nestedObjects(9))).path).toBe('$.value[].n.n.n.n.n.n.n.n');
    // A record of 8 nested objects: root + entries array + entry object + 8 objects = 11.
    expect(refusal(z.object({ byName: z.record(z.string(), nestedObjects(8)) })).path).toBe(
      '$.byName[].value.n.n.n.n.n.n.n',
    );
    convertsCleanly(z.object({ byName: z.record(z.string(), nestedObjects(7)) }));
  });

  it('accepts 120,000 characters of property names and refuses one more', () => {
    // 40 names of 3000 characters: "a000…", padded.
    const names = range(40).map((index) => `a${index}`.padEnd(3000, 'x'));
    const AtLimit = z.object(Object.fromEntries(names.map((name) => [name, z.boolean()])));
    const PastLimit = AtLimit.extend({ b: z.boolean() });

    convertsCleanly(AtLimit);
    const error = refusal(PastLimit);
    expect(error.path).toBe('$');
    expect(error.message).toContain('at most 120000 characters in all property names, definition names, enum and');
    expect(error.message).toContain('this schema has 120001');
  });

  it('counts enum values, const values and definition names in the 120,000 characters', () => {
    const Node = z
      .object({
        label: z.string(),
        get next() {
          return Node.optional();
        },
      })
      .meta({ id: 'N'.repeat(1000) });
    // Property names: "label" + "next" + "node" + "kind" + "pick" = 21; def name 1000; const 9999; enum 200 × 500.
    const build = (constLength: number) =>
      z.object({ node: Node, kind: z.literal('k'.repeat(constLength)), pick: longEnum(200, 500) });

    convertsCleanly(build(120_000 - 21 - 1000 - 100_000));
    expect(refusal(build(120_000 - 21 - 1000 - 100_000 + 1)).message).toContain('this schema has 120001');
  });

  it('accepts 1000 enum values in all and refuses 1001', () => {
    const AtLimit = z.object({ a: longEnum(250, 2), b: longEnum(250, 2), c: longEnum(250, 2), d: longEnum(250, 2) });
    const PastLimit = AtLimit.extend({ e: z.enum(['one']) });

    convertsCleanly(AtLimit);
    expect(refusal(PastLimit).message).toContain('at most 1000 enum values in all, and this schema has 1001');
  });

  it('accepts a large enum of 15,000 characters and refuses one of 15,001, naming it', () => {
    // 300 values of 50 characters = 15,000; a 250-value enum may be longer, since the limit starts above 250.
    convertsCleanly(z.object({ pick: longEnum(300, 50), short: longEnum(250, 100, 'w') }));
    const PastLimit = z.object({ pick: z.enum([...enumValues(300, 50), 'x']) });

    const error = refusal(PastLimit);
    expect(error.path).toBe('$.pick');
    expect(error.message).toContain('this one has 301 values of 15001 characters');
    expect(refusal(z.object({ pick: longEnum(251, 60) })).path).toBe('$.pick');
  });

  it('refuses such a task when it is registered, naming the task and the limit', () => {
    const task = defineTask({
      name: 'deep extraction',
      input: z.object({ text: z.string() }),
      output: nestedObjects(11),
      prompt: ({ text }) => [{ role: 'user', content: text }],
    });

    expect(() => new TaskRegistry([task])).toThrow(
      /^Task "deep extraction": Cannot express \$(\.n){10} as a strict JSON schema: .*at most 10 levels of nesting/,
    );
  });
});
