import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEntityExtraction, isIntentRecognition, isReplyDraft } from './output-guards.js';
import { entityExtractionSchema } from './schemas/entities.js';
import { intentRecognitionSchema } from './schemas/intent.js';
import { replyDraftSchema } from './schemas/reply.js';
import { INTENTS, REPLY_TONES, URGENCIES } from './value-lists.js';

// Values near the schemas' edges: each field right, wrong in type, out of range, empty or missing.
const anyValue = fc.oneof(
  fc.string(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);
// Mostly the right kind, so that whole valid values come up often.
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary, weight: 4 }, { arbitrary: anyValue, weight: 1 });
/** Every key present, or any of them missing. */
const objectOf = <T>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.oneof(fc.record(fields), fc.record(fields, { requiredKeys: [] }));
const intentLike = objectOf({
  intent: maybe(fc.constantFrom(...INTENTS, 'unknown')),
  confidence: maybe(
    fc.oneof(fc.double({ min: -0.5, max: 1.5 }), fc.constantFrom(-Number.EPSILON, 0, 0.5, 1, 1 + Number.EPSILON, 1.1)),
  ),
  urgency: maybe(fc.constantFrom(...URGENCIES, 'urgent')),
  rationale: maybe(fc.string()),
});
const entitiesLike = objectOf(
  Object.fromEntries(
    ['orderNumbers', 'products', 'people', 'dates', 'amounts'].map((key) => [
      key,
      maybe(fc.array(fc.string(), { maxLength: 3 })),
    ]),
  ),
);
const replyLike = objectOf({
  subject: maybe(fc.string({ maxLength: 2 })),
  body: maybe(fc.string({ maxLength: 2 })),
  tone: maybe(fc.constantFrom(...REPLY_TONES, 'angry')),
  needsHuman: maybe(fc.boolean()),
});
const cases = [
  {
    name: 'isIntentRecognition',
    guard: isIntentRecognition,
    schema: intentRecognitionSchema,
    values: fc.oneof(intentLike, anyValue),
  },
  {
    name: 'isEntityExtraction',
    guard: isEntityExtraction,
    schema: entityExtractionSchema,
    values: fc.oneof(entitiesLike, anyValue),
  },
  { name: 'isReplyDraft', guard: isReplyDraft, schema: replyDraftSchema, values: fc.oneof(replyLike, anyValue) },
];

describe.each(cases)('$name', ({ guard, schema, values }) => {
  it('accepts exactly what the schema accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(values, (value) => {
        const expected = schema.safeParse(value).success;
        if (expected) accepted += 1;
        expect(guard(value)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
    // The generated values reach both answers.
    expect(accepted).toBeGreaterThan(0);
  });
});
