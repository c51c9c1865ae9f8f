import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toAnthropicJsonSchema, toStrictJsonSchema } from '../src/llm/strict-json-schema/index.js';
import { anthropicViolations, openaiStrictViolations } from './strict-schema-rules.js';

const CLOSED_ANSWER = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
  additionalProperties: false,
};

describe('the OpenAI strict rules', () => {
  it("refuse zod's own JSON schema for optional fields, records, oneOf and non-object roots", () => {
    const Raw = z.object({ a: z.string().optional(), tags: z.record(z.string(), z.number()) });
    const Union = z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b') })]);

    expect(openaiStrictViolations(z.toJSONSchema(Raw, { io: 'input' }))).toEqual([
      '$: additionalProperties is not false',
      '$: required ["tags"] is not every property ["a","tags"]',
      '$.tags: keyword propertyNames is not allowed',
      '$.tags: additionalProperties is not false',
      '$.tags: an object without properties',
    ]);
    expect(openaiStrictViolations(z.toJSONSchema(Union, { io: 'input' }))).toContain('$: keyword oneOf is not allowed');
    expect(openaiStrictViolations(z.toJSONSchema(Union, { io: 'input' }))).toContain(
      '$: the root is not of type object',
    );
  });

  it('refuse string lengths and formats strict mode does not know', () => {
    const schema = {
      ...CLOSED_ANSWER,
      properties: { answer: { type: 'string', minLength: 1, format: 'uri' } },
    };

    expect(openaiStrictViolations(schema)).toEqual([
      '$.answer: keyword minLength is not allowed',
      '$.answer: format uri is not allowed',
    ]);
  });
});

describe('the Anthropic rules', () => {
  const Verdict = z.object({
    confidence: z.number().min(0).max(1),
    reasons: z.array(z.string()).min(2),
  });

  it('refuse the numeric bounds and minItems above 1 that the OpenAI strict schema carries', () => {
    const strict = toStrictJsonSchema(Verdict).schema;

    expect(openaiStrictViolations(strict)).toEqual([]);
    expect(anthropicViolations(strict)).toEqual([
      "$.confidence: for 'number' type, property 'minimum' is not supported",
      "$.confidence: for 'number' type, property 'maximum' is not supported",
      '$.reasons: minItems 2 is not supported (only 0 or 1)',
    ]);
  });

  it('accept the same schema once converted for Anthropic', () => {
    expect(anthropicViolations(toAnthropicJsonSchema(toStrictJsonSchema(Verdict).schema))).toEqual([]);
  });

  it('refuse string constraints, unknown formats, open objects, object enums and non-object roots', () => {
    const schema = {
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^[A-Z]+$', maxLength: 8 },
        site: { type: 'string', format: 'hostname' },
        link: { type: 'string', format: 'uri-reference' },
        meta: { type: 'object', properties: {} },
        pick: { enum: [{ a: 1 }] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      },
      required: ['code'],
      additionalProperties: false,
    };

    expect(anthropicViolations(schema)).toEqual([
      "$.code: for 'string' type, property 'pattern' is not supported",
      "$.code: for 'string' type, property 'maxLength' is not supported",
      "$.link: format 'uri-reference' is not supported",
      '$.meta: additionalProperties is not false',
      '$.pick: enum and const take only primitives',
      "$.tags: for 'array' type, property 'maxItems' is not supported",
    ]);
    expect(anthropicViolations({ type: 'array', items: { type: 'string' } })).toEqual([
      '$: the root is not of type object',
    ]);
  });
});

describe('the OpenAI size limits', () => {
  const closed = (properties: Record<string, unknown>): Record<string, unknown> => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  });
  const booleanProperties = (names: string[]): Record<string, unknown> =>
    Object.fromEntries(names.map((name) => [name, { type: 'boolean' }]));
  const booleans = (names: string[]): Record<string, unknown> => closed(booleanProperties(names));
  const names = (count: number, length = 0): string[] =>
    Array.from({ length: count }, (_, index) => `p${index}`.padEnd(length, 'x'));
  const nested = (levels: number): Record<string, unknown> => {
    let schema = closed({ leaf: { type: 'string' } });
    for (let level = 1; level < levels; level += 1) schema = closed({ n: schema });
    return schema;
  };
  const stringEnum = (values: string[]): Record<string, unknown> => ({ type: 'string', enum: values });

  it('allow 5000 object properties in all, not 5001', () => {
    expect(openaiStrictViolations(booleans(names(5000)))).toEqual([]);
    expect(openaiStrictViolations(booleans(names(5001)))).toEqual(['$: 5001 object properties in all, more than 5000']);
  });

  it('allow 10 levels of objects and arrays, not 11, counting through $refs', () => {
    expect(openaiStrictViolations(nested(10))).toEqual([]);
    expect(openaiStrictViolations(nested(11))).toEqual(['$: 11 levels of nesting, more than 10']);
    const throughRef = {
      ...closed({ list: { type: 'array', items: { $ref: '#/$defs/Deep' } } }),
      $defs: { Deep: nested(9) },
    };
    expect(openaiStrictViolations(throughRef)).toEqual(['$: 11 levels of nesting, more than 10']);
  });

  it('allow 120,000 characters of property names, definition names and enum/const values, not one more', () => {
    const withDefs = (constLength: number): Record<string, unknown> => ({
      ...closed({ ...booleanProperties(names(39, 3000)), d: { $ref: '#/$defs/D' } }),
      $defs: { D: closed({ e: stringEnum(['ab']), c: { type: 'string', const: 'c'.repeat(constLength) } }) },
    });
    // Names: 39 × 3000 + "d" + "e" + "c" = 117,003; def name 1; enum 2; so the const may take 2994.
    expect(openaiStrictViolations(withDefs(2994))).toEqual([]);
    expect(openaiStrictViolations(withDefs(2995))).toEqual([
      '$: 120001 characters of names and enum/const values, more than 120000',
    ]);
  });

  it('allow 1000 enum values in all, not 1001', () => {
    const values = (count: number, prefix: string): string[] =>
      Array.from({ length: count }, (_, index) => `${prefix}${index}`);
    const four = { a: stringEnum(values(250, 'a')), b: stringEnum(values(250, 'b')), c: stringEnum(values(250, 'c')) };

    expect(openaiStrictViolations(closed({ ...four, d: stringEnum(values(250, 'd')) }))).toEqual([]);
    expect(openaiStrictViolations(closed({ ...four, d: stringEnum(values(251, 'd')) }))).toEqual([
      '$: 1001 enum values in all, more than 1000',
    ]);
  });

  it('allow an enum of more than 250 values 15,000 characters, not 15,001', () => {
    const values = Array.from({ length: 300 }, (_, index) => `v${index}`.padEnd(50, '.'));

    expect(openaiStrictViolations(closed({ pick: stringEnum(values) }))).toEqual([]);
    expect(openaiStrictViolations(closed({ pick: stringEnum(names(250, 100)) }))).toEqual([]);
    expect(openaiStrictViolations(closed({ pick: stringEnum([...values, 'x']) }))).toEqual([
      '$.pick: an enum of 301 values with 15001 characters, more than 15000 for an enum of more than 250 values',
    ]);
  });
});
