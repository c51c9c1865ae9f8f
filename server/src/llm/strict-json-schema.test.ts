import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicViolations, openaiStrictViolations } from '../../test/strict-schema-rules.js';
import {
  toAnthropicJsonSchema,
  toStrictJsonSchema,
  UnsupportedSchemaError,
  type JsonSchema,
  type StrictJsonSchema,
} from './strict-json-schema/index.js';

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converts and checks both providers' rules: every converted schema in this file goes through here. */
function convert(schema: z.ZodType): StrictJsonSchema {
  const strict = toStrictJsonSchema(schema);
  expect(openaiStrictViolations(strict.schema)).toEqual([]);
  expect(anthropicViolations(toAnthropicJsonSchema(strict.schema))).toEqual([]);
  return strict;
}

/** What the app gets from a model answer: decode, then the original zod schema parses. */
function parseAnswer<T extends z.ZodType>(schema: T, answer: unknown): z.output<T> {
  return schema.parse(convert(schema).decode(answer));
}

describe('toStrictJsonSchema', () => {
  describe('objects', () => {
    const Contact = z.object({
      name: z.string(),
      age: z.number().optional(),
      nickname: z.string().nullish(),
      retries: z.int().default(3),
      label: z.string().default('none'),
    });

    it('closes every object and requires every property, optional ones as nullable', () => {
      const { schema } = convert(Contact);

      expect(schema).toEqual({
        type: 'object',
        properties: {
          name: { type: 'string' },
          age: { type: ['number', 'null'] },
          nickname: { type: ['string', 'null'] },
          retries: { type: ['integer', 'null'], minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
          label: { type: ['string', 'null'] },
        },
        required: ['name', 'age', 'nickname', 'retries', 'label'],
        additionalProperties: false,
      });
    });

    it('drops an optional property the model sent as null', () => {
      const decoded = convert(Contact).decode({ name: 'Ada', age: null, nickname: 'ada', retries: 1, label: 'x' });

      expect(decoded).toEqual({ name: 'Ada', nickname: 'ada', retries: 1, label: 'x' });
      expect(decoded).not.toHaveProperty('age');
    });

    it('keeps null for a nullish property, since the schema accepts it', () => {
      const answer = { name: 'Ada', age: 36, nickname: null, retries: 1, label: 'x' };

      expect(parseAnswer(Contact, answer)).toEqual({ name: 'Ada', age: 36, nickname: null, retries: 1, label: 'x' });
    });

    it('lets zod fill defaults for properties the model sent as null', () => {
      const answer = { name: 'Ada', age: null, nickname: null, retries: null, label: null };

      expect(parseAnswer(Contact, answer)).toEqual({ name: 'Ada', nickname: null, retries: 3, label: 'none' });
    });

    it('offers only the declared keys of loose and catchall objects', () => {
      const Loose = z.looseObject({ id: z.string() });
      const WithCatchall = z.object({ id: z.string() }).catchall(z.number());

      expect(convert(Loose).schema.properties).toEqual({ id: { type: 'string' } });
      expect(parseAnswer(WithCatchall, { id: 'a' })).toEqual({ id: 'a' });
    });

    it('returns the very same value when nothing needs reshaping', () => {
      const Plain = z.object({ id: z.string(), tags: z.array(z.object({ name: z.string() })) });
      const answer = { id: 'a', tags: [{ name: 'x' }] };

      expect(convert(Plain).decode(answer)).toBe(answer);
    });
  });

  describe('keywords', () => {
    it('keeps enums, literals and the constraints strict mode supports, and drops the rest', () => {
      const Review = z
        .object({
          sentiment: z.enum(['positive', 'neutral', 'negative']).describe('overall tone'),
          source: z.literal('web'),
          email: z.email(),
          website: z.url(),
          summary: z
            .string()
            .min(10)
            .max(200)
            .regex(/^[A-Z]/),
          score: z.number().gt(0).lte(5).multipleOf(0.5),
          quotes: z.array(z.string()).min(1).max(3),
        })
        .meta({ title: 'Review', examples: [] });

      const { schema } = convert(Review);
      const properties = isSchema(schema.properties) ? schema.properties : {};

      expect(schema.title).toBe('Review');
      expect(schema).not.toHaveProperty('examples');
      expect(schema).not.toHaveProperty('$schema');
      expect(properties.sentiment).toEqual({
        type: 'string',
        enum: ['positive', 'neutral', 'negative'],
        description: 'overall tone',
      });
      expect(properties.source).toEqual({ type: 'string', const: 'web' });
      expect(properties.email).toMatchObject({ type: 'string', format: 'email' });
      expect(properties.website).toEqual({ type: 'string' });
      expect(properties.summary).toEqual({ type: 'string', pattern: '^[A-Z]' });
      expect(properties.score).toEqual({ type: 'number', exclusiveMinimum: 0, maximum: 5, multipleOf: 0.5 });
      expect(properties.quotes).toEqual({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 });
    });

    it('makes an optional enum nullable without putting null outside the enum', () => {
      const Ticket = z.object({ priority: z.enum(['low', 'high']).optional() });

      expect(convert(Ticket).schema.properties).toEqual({
        priority: { anyOf: [{ type: 'string', enum: ['low', 'high'] }, { type: 'null' }] },
      });
      expect(parseAnswer(Ticket, { priority: null })).toEqual({});
      expect(parseAnswer(Ticket, { priority: 'high' })).toEqual({ priority: 'high' });
    });

    it('gives a type to a bare enum of mixed literals', () => {
      const Answer = z.object({ choice: z.literal(['yes', 2, null]) });

      expect(convert(Answer).schema.properties).toEqual({
        choice: { type: ['string', 'number', 'null'], enum: ['yes', 2, null] },
      });
    });
  });

  describe('arrays', () => {
    const Order = z.object({
      orders: z.array(
        z.object({
          id: z.string(),
          lines: z.array(z.object({ sku: z.string(), quantity: z.int().min(1), note: z.string().optional() })),
          tags: z.array(z.string()).optional(),
        }),
      ),
    });

    it('decodes objects nested in arrays nested in objects', () => {
      const answer = {
        orders: [
          {
            id: 'o1',
            lines: [
              { sku: 'a', quantity: 1, note: null },
              { sku: 'b', quantity: 2, note: 'gift' },
            ],
            tags: null,
          },
          { id: 'o2', lines: [], tags: ['rush'] },
        ],
      };

      expect(parseAnswer(Order, answer)).toEqual({
        orders: [
          {
            id: 'o1',
            lines: [
              { sku: 'a', quantity: 1 },
              { sku: 'b', quantity: 2, note: 'gift' },
            ],
          },
          { id: 'o2', lines: [], tags: ['rush'] },
        ],
      });
    });

    it('turns a tuple into an object keyed by position and back', () => {
      const Range = z.object({ span: z.tuple([z.string(), z.number(), z.boolean().optional()]) });

      expect(convert(Range).schema.properties).toEqual({
        span: {
          type: 'object',
          properties: { 0: { type: 'string' }, 1: { type: 'number' }, 2: { type: ['boolean', 'null'] } },
          required: ['0', '1', '2'],
          additionalProperties: false,
        },
      });
      expect(parseAnswer(Range, { span: { 0: 'a', 1: 2, 2: null } })).toEqual({ span: ['a', 2] });
      expect(parseAnswer(Range, { span: { 0: 'a', 1: 2, 2: true } })).toEqual({ span: ['a', 2, true] });
    });
  });

  describe('unions', () => {
    const Event = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('click'), x: z.number(), button: z.string().optional() }),
      z.object({ kind: z.literal('key'), key: z.string(), repeat: z.boolean().optional() }),
    ]);
    const Log = z.object({ events: z.array(Event) });

    it('sends a discriminated union as anyOf', () => {
      const { schema } = convert(Log);

      expect(JSON.stringify(schema)).not.toContain('oneOf');
      expect(schema.properties).toMatchObject({ events: { type: 'array', items: { anyOf: [{}, {}] } } });
    });

    it('decodes each member of a discriminated union with its own branch', () => {
      const answer = {
        events: [
          { kind: 'click', x: 3, button: null },
          { kind: 'key', key: 'a', repeat: null },
        ],
      };

      expect(parseAnswer(Log, answer)).toEqual({
        events: [
          { kind: 'click', x: 3 },
          { kind: 'key', key: 'a' },
        ],
      });
    });

    it('decodes a plain union with the first branch whose shape fits', () => {
      const Channel = z.object({
        channel: z.union([
          z.object({ email: z.string(), label: z.string().optional() }),
          z.object({ phone: z.string(), label: z.string().optional() }),
        ]),
      });

      expect(parseAnswer(Channel, { channel: { phone: '555', label: null } })).toEqual({ channel: { phone: '555' } });
      expect(parseAnswer(Channel, { channel: { email: 'a@b.c', label: 'work' } })).toEqual({
        channel: { email: 'a@b.c', label: 'work' },
      });
    });

    it('flattens nested discriminated unions into one anyOf', () => {
      const Shape = z.object({
        shape: z.discriminatedUnion('type', [
          z.object({ type: z.literal('dot') }),
          z.discriminatedUnion('fill', [
            z.object({ type: z.literal('box'), fill: z.literal('solid'), color: z.string().optional() }),
            z.object({ type: z.literal('box'), fill: z.literal('none') }),
          ]),
        ]),
      });

      const properties = convert(Shape).schema.properties;
      expect(isSchema(properties) && isSchema(properties.shape) && properties.shape.anyOf).toHaveLength(3);
      expect(parseAnswer(Shape, { shape: { type: 'box', fill: 'solid', color: null } })).toEqual({
        shape: { type: 'box', fill: 'solid' },
      });
    });

    it('splits a union of primitive types into anyOf', () => {
      const Id = z.object({ id: z.union([z.string(), z.number()]) });

      expect(convert(Id).schema.properties).toEqual({ id: { anyOf: [{ type: 'string' }, { type: 'number' }] } });
      expect(parseAnswer(Id, { id: 7 })).toEqual({ id: 7 });
    });
  });

  describe('records', () => {
    const Scores = z.object({
      scores: z.record(z.string(), z.object({ value: z.number(), comment: z.string().optional() })),
    });

    it('sends a record as a list of key/value entries', () => {
      expect(convert(Scores).schema.properties).toEqual({
        scores: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: { type: 'string' },
              value: {
                type: 'object',
                properties: { value: { type: 'number' }, comment: { type: ['string', 'null'] } },
                required: ['value', 'comment'],
                additionalProperties: false,
              },
            },
            required: ['key', 'value'],
            additionalProperties: false,
          },
        },
      });
    });

    it('decodes the entries back into an object', () => {
      const answer = {
        scores: [
          { key: 'clarity', value: { value: 4, comment: null } },
          { key: 'tone', value: { value: 2, comment: 'curt' } },
        ],
      };

      expect(parseAnswer(Scores, answer)).toEqual({
        scores: { clarity: { value: 4 }, tone: { value: 2, comment: 'curt' } },
      });
    });

    it('decodes records inside arrays', () => {
      const Rows = z.object({ rows: z.array(z.record(z.string(), z.number())) });
      const answer = { rows: [[{ key: 'a', value: 1 }], []] };

      expect(parseAnswer(Rows, answer)).toEqual({ rows: [{ a: 1 }, {}] });
    });

    it('keeps a __proto__ key as data instead of changing the prototype', () => {
      const decoded = convert(z.record(z.string(), z.number())).decode({ value: [{ key: '__proto__', value: 1 }] });

      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(isSchema(decoded) && Object.hasOwn(decoded, '__proto__')).toBe(true);
    });

    it('sends an enum-keyed record as an object with exactly those keys', () => {
      const Ratings = z.object({ ratings: z.record(z.enum(['speed', 'price']), z.int()) });

      expect(convert(Ratings).schema.properties).toMatchObject({
        ratings: { type: 'object', properties: { speed: { type: 'integer' }, price: { type: 'integer' } } },
      });
      expect(parseAnswer(Ratings, { ratings: { speed: 1, price: 2 } })).toEqual({ ratings: { speed: 1, price: 2 } });
    });

    it('sends numeric keys as strings with their pattern, and zod reads them back', () => {
      const Histogram = z.object({ counts: z.record(z.number(), z.int()), ranks: z.record(z.int(), z.string()) });
      const { schema } = convert(Histogram);

      expect(schema.properties).toMatchObject({
        counts: { type: 'array', items: { properties: { key: { type: 'string', pattern: '^-?\\d+(?:\\.\\d+)?$' } } } },
        ranks: { type: 'array', items: { properties: { key: { type: 'string', pattern: '^-?\\d+$' } } } },
      });
      const answer = { counts: [{ key: '1.5', value: 2 }], ranks: [{ key: '-3', value: 'low' }] };
      expect(parseAnswer(Histogram, answer)).toEqual({ counts: { '1.5': 2 }, ranks: { '-3': 'low' } });
    });

    it('keeps a record keyed by a string pattern or a mix of literals and patterns', () => {
      const Links = z.object({
        ids: z.record(z.string().regex(/^id-/), z.string()),
        mixed: z.record(z.union([z.literal('home'), z.string().regex(/^x/)]), z.string()),
      });
      const answer = {
        ids: [{ key: 'id-1', value: 'a' }],
        mixed: [
          { key: 'home', value: 'b' },
          { key: 'x2', value: 'c' },
        ],
      };

      expect(parseAnswer(Links, answer)).toEqual({ ids: { 'id-1': 'a' }, mixed: { home: 'b', x2: 'c' } });
    });

    it('drops the null keys of a partial enum-keyed record', () => {
      const Ratings = z.object({ ratings: z.partialRecord(z.enum(['speed', 'price']), z.int()) });

      expect(parseAnswer(Ratings, { ratings: { speed: null, price: 2 } })).toEqual({ ratings: { price: 2 } });
    });
  });

  describe('non-object roots', () => {
    it('wraps an array root in { value } and unwraps it', () => {
      const Tags = z.array(z.object({ name: z.string(), weight: z.number().optional() }));
      const strict = convert(Tags);

      expect(strict.schema).toMatchObject({
        type: 'object',
        required: ['value'],
        properties: { value: { type: 'array' } },
      });
      expect(Tags.parse(strict.decode({ value: [{ name: 'a', weight: null }] }))).toEqual([{ name: 'a' }]);
    });

    it('wraps primitive, union and record roots', () => {
      const Category = z.enum(['bug', 'feature']);
      const Reply = z.union([z.object({ answer: z.string() }), z.object({ refusal: z.string() })]);
      const Counts = z.record(z.string(), z.int());

      expect(parseAnswer(Category, { value: 'bug' })).toBe('bug');
      expect(parseAnswer(Reply, { value: { refusal: 'no' } })).toEqual({ refusal: 'no' });
      expect(parseAnswer(Counts, { value: [{ key: 'a', value: 1 }] })).toEqual({ a: 1 });
    });

    it('keeps an object root that zod emitted as a $ref to its id', () => {
      const Person = z.object({ name: z.string() }).meta({ id: 'Person' });

      expect(convert(Person).schema).toEqual({
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      });
    });
  });

  describe('recursive schemas', () => {
    interface Category {
      name: string;
      note?: string | undefined;
      children: Category[];
    }
    const Category: z.ZodType<Category> = z.object({
      name: z.string(),
      note: z.string().optional(),
      get children() {
        return z.array(Category);
      },
    });

    it('keeps the root recursion as a $ref to #', () => {
      const { schema } = convert(Category);

      expect(schema.properties).toMatchObject({ children: { type: 'array', items: { $ref: '#' } } });
    });

    it('decodes through every level of a recursive root', () => {
      const answer = {
        name: 'root',
        note: null,
        children: [{ name: 'leaf', note: 'x', children: [{ name: 'deep', note: null, children: [] }] }],
      };

      expect(parseAnswer(Category, answer)).toEqual({
        name: 'root',
        children: [{ name: 'leaf', note: 'x', children: [{ name: 'deep', children: [] }] }],
      });
    });

    it('keeps $defs for a recursive schema below the root and decodes through the refs', () => {
      const Catalog = z.object({ tree: Category, archive: Category.optional() });
      const { schema } = convert(Catalog);

      expect(Object.keys(isSchema(schema.$defs) ? schema.$defs : {})).toHaveLength(1);
      const answer = {
        tree: { name: 'a', note: null, children: [{ name: 'b', note: null, children: [] }] },
        archive: null,
      };

      expect(parseAnswer(Catalog, answer)).toEqual({ tree: { name: 'a', children: [{ name: 'b', children: [] }] } });
    });

    it('moves a recursive non-object root into $defs before wrapping it', () => {
      type Nested = string | Nested[];
      const Nested: z.ZodType<Nested> = z.lazy(() => z.union([z.string(), z.array(Nested)]));
      const { schema } = convert(Nested);

      expect(schema.properties).toEqual({ value: { $ref: '#/$defs/root' } });
      expect(parseAnswer(Nested, { value: ['a', ['b', []]] })).toEqual(['a', ['b', []]]);
    });
  });

  describe('unsupported schemas', () => {
    it.each([
      ['a date', z.object({ events: z.array(z.object({ at: z.date() })) }), '$.events[].at'],
      ['a bigint', z.object({ total: z.bigint().optional() }), '$.total'],
      ['a function', z.object({ callback: z.function() }), '$.callback'],
      ['any', z.object({ meta: z.record(z.string(), z.any()) }), '$.meta{}'],
      ['unknown', z.object({ payload: z.unknown() }), '$.payload'],
      ['a map', z.map(z.string(), z.string()), '$'],
      ['a tuple with a rest element', z.object({ args: z.tuple([z.string()], z.number()) }), '$.args'],
      // zod's types refuse z.record(z.boolean(), …) (a plain JavaScript caller is not stopped); a transform is allowed.
      [
        'a record with boolean keys',
        z.object({ flags: z.record(z.boolean().transform(String), z.boolean()) }),
        '$.flags{key}',
      ],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the path names a template-literal key so.
      ['a record keyed by string or number', z.record(z.union([z.string(), z.number()]), z.int()), '${key}'],
      [
        'a record keyed by boolean literals',
        z.object({ on: z.partialRecord(z.literal([true]).transform(String), z.int()) }),
        '$.on{key}',
      ],
    ])('rejects %s naming its path', (_name, schema, path) => {
      let thrown: unknown;
      try {
        toStrictJsonSchema(schema);
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(UnsupportedSchemaError);
      expect(UnsupportedSchemaError.isInstance(thrown) && thrown.path).toBe(path);
      expect(thrown instanceof Error && thrown.message).toContain(path);
    });
  });

  describe('decode', () => {
    it('hands values of the wrong shape to zod untouched, so zod reports them', () => {
      const Scores = z.object({ scores: z.record(z.string(), z.number()) });
      const answer = { scores: 'not entries' };

      expect(convert(Scores).decode(answer)).toEqual(answer);
      expect(Scores.safeParse(convert(Scores).decode(answer)).success).toBe(false);
    });
  });
});

describe('toAnthropicJsonSchema', () => {
  it('moves the keywords Anthropic refuses into the description, as the Anthropic SDK does, and keeps the rest', () => {
    const Review = z.object({
      sentiment: z.enum(['positive', 'neutral', 'negative']).describe('overall tone'),
      summary: z
        .string()
        .min(10)
        .max(200)
        .regex(/^[A-Z]/),
      score: z.number().gt(0).lte(5).multipleOf(0.5).describe('stars'),
      quotes: z.array(z.string()).min(1).max(3),
      reasons: z.array(z.string()).min(2),
    });

    expect(toAnthropicJsonSchema(convert(Review).schema)).toEqual({
      type: 'object',
      properties: {
        sentiment: { enum: ['positive', 'neutral', 'negative'], description: 'overall tone' },
        summary: { type: 'string', description: '{pattern: "^[A-Z]"}' },
        score: { type: 'number', description: 'stars\n\n{maximum: 5, exclusiveMinimum: 0, multipleOf: 0.5}' },
        quotes: { type: 'array', items: { type: 'string' }, minItems: 1, description: '{maxItems: 3}' },
        reasons: { type: 'array', items: { type: 'string' }, description: '{minItems: 2}' },
      },
      required: ['sentiment', 'summary', 'score', 'quotes', 'reasons'],
      additionalProperties: false,
    });
  });

  it('sends an optional property as anyOf with null, so its items and properties stay schemas', () => {
    const Ticket = z.object({
      tags: z.array(z.string()).optional(),
      owner: z.object({ name: z.string() }).optional(),
      count: z.number().min(1).optional(),
      note: z.string().describe('free text').optional(),
    });

    expect(toAnthropicJsonSchema(convert(Ticket).schema).properties).toEqual({
      tags: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }] },
      owner: {
        anyOf: [
          { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false },
          { type: 'null' },
        ],
      },
      count: { anyOf: [{ type: 'number', description: '{minimum: 1}' }, { type: 'null' }] },
      note: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'free text' },
    });
  });

  it('leaves the strict schema it was given as it was', () => {
    const { schema } = convert(z.object({ ratio: z.number().min(0).max(1), tags: z.array(z.string()).optional() }));
    const before = structuredClone(schema);

    toAnthropicJsonSchema(schema);

    expect(schema).toEqual(before);
  });
});
