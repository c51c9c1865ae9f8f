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
    expect(openaiStrictViolations(z.toJSONSchema(Union, { io: 'input' }))).toContain('$: the root is not of type object');
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
