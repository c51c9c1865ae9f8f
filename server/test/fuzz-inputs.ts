import fc from 'fast-check';
import { z } from 'zod';

/**
 * Generators of what a careless or hostile client sends to the API, for the property-based fuzz test
 * (server/src/routers/fuzz.test.ts). Inputs are made as JSON *text*, so they can hold what JSON.stringify never
 * writes: number literals past a double's range, deep nesting, duplicate keys, broken syntax.
 */

/** Text PostgreSQL cannot store, and text that is merely unusual. */
const NUL = '\u0000';
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'];

const oddCharacter = fc.constantFrom(
  NUL,
  ...LONE_SURROGATES,
  '\uFFFD',
  '\uFEFF',
  '\u202E',
  '\\',
  '"',
  "'",
  '%',
  '\n',
  '\r',
  '\t',
  '\u2028',
  '😀',
  '𝕏',
  'é',
);

const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.oneof(fc.constantFrom('a', ' ', '-', ':'), oddCharacter), maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '   ',
    'null',
    'undefined',
    'NaN',
    '[object Object]',
    '__proto__',
    'constructor',
    "' or 1=1 --",
    '%00',
    '%ff',
    '%%',
    '\\u0000',
  ),
  // Huge: past every string bound we set (320, 300, 20,000), and in a batch or a GET, past the URL limit.
  fc
    .tuple(fc.constantFrom('x', 'é', '😀', NUL, '\ud800'), fc.integer({ min: 300, max: 60_000 }))
    .map(([unit, count]) => unit.repeat(count)),
);

const uuidLike: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.uuid({ version: 7 }),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '01a2128a-0000-7000-8000-00000000000',
    '01a2128a-0000-7000-8000-0000000000000',
    '{01a2128a-0000-7000-8000-000000000000}',
  ),
  fc.uuid().map((uuid) => uuid.toUpperCase()),
  fc
    .tuple(fc.uuid(), fc.nat(35), oddCharacter)
    .map(([uuid, at, character]) => uuid.slice(0, at) + character + uuid.slice(at + 1)),
);

// The edges of PostgreSQL's timestamptz (4713 BC to 294276 AD), of JavaScript's Date (±275760) and of ISO 8601's four
// digits, reached directly or through a time-zone offset.
const yearLike = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 9999) },
  { weight: 1, arbitrary: fc.constantFrom(2026, 1970, 100, 1000) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 9999 }) },
);
const offsetLike = fc.constantFrom(
  'Z',
  'z',
  '+00:00',
  '-00:00',
  '+01:00',
  '-12:00',
  '+14:00',
  '-14:00',
  '+23:59',
  '-23:59',
  '+24:00',
  '+99:99',
  '+0100',
  '+01',
  '',
);

const isoDateLike: fc.Arbitrary<string> = fc.oneof(
  // Every Date JavaScript can hold, years -271821 to +275760 included.
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        yearLike,
        fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: 1, max: 12 }) },
          { weight: 1, arbitrary: fc.constantFrom(0, 13) },
        ),
        fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: 1, max: 28 }) },
          { weight: 1, arbitrary: fc.constantFrom(0, 29, 30, 31, 32) },
        ),
        fc.oneof(
          { weight: 9, arbitrary: fc.constantFrom('00:00:00', '23:59:59', '23:59:59.999', '12:00:00.123456789') },
          { weight: 1, arbitrary: fc.constantFrom('24:00:00', '25:61:61', '12:00') },
        ),
        offsetLike,
      )
      .map(
        ([year, month, day, time, offset]) =>
          `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${time}${offset}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2026-03-03',
      'yesterday',
      '2026-03-03 12:00:00Z',
      '20260303T120000Z',
      '+002026-03-03T12:00:00Z',
    ),
  },
);

const digitsLike: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom(
    '0',
    '9223372036854775807',
    '9223372036854775808',
    '99999999999999999999',
    '-1',
    '1e3',
    '0x10',
    ' 1',
    '١٢',
  ),
);

const plausibleWord = fc.constantFrom(
  'desc',
  'asc',
  'ok',
  'error',
  'pending',
  'running',
  'succeeded',
  'failed',
  'interrupted',
  'intent recognition',
  'support-inbox triage',
  'offline',
  'default',
  'openai',
  'ada@example.com',
  'Hello',
  'Where is my order?',
);

/** A JSON number literal as a client may write it, past a double's range and precision included. */
const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -5, max: 250 }).map(String),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '-0',
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993',
    '123456789012345678901234567890',
    '0.5',
    '2e1',
    '1E2',
    '100.0',
  ),
);

/** Text that is not JSON, or not quite. */
const brokenJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '}',
    '[',
    '{"a":}',
    '{"a" 1}',
    "{'a':1}",
    'undefined',
    'NaN',
    'Infinity',
    '{"a":1,}',
    '[1,]',
    '"\\ud800',
    '"\\x00"',
    '{"a":"\\u00"}',
    '\uFEFF{}',
    'nul',
    'tru',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Nesting past what a recursive reader survives: arrays, objects, and both. */
const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('[', '{"a":', '[{"a":'), fc.constantFrom(10, 1_000, 20_000, 100_000))
  .map(([open, depth]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
    return `${open.repeat(depth)}1${close.repeat(depth)}`;
  });

/** A JSON value as text; `fieldNames` are the keys a real input has, so objects often hit real fields. */
function valueText(fieldNames: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaf: fc.Arbitrary<string> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .oneof(oddText, uuidLike, isoDateLike, digitsLike, plausibleWord)
        .map((text) => JSON.stringify(text)),
    },
    { weight: 2, arbitrary: numberText },
    { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '""') },
  );
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.array(valueText(fieldNames, depth - 1), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    },
    { weight: 1, arbitrary: objectText(fieldNames, depth - 1) },
  );
}

const entriesText = (entries: readonly (readonly [string, string])[]) =>
  `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;

function objectText(fieldNames: readonly string[], depth: number): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fieldNames.length > 0 ? fc.constantFrom(...fieldNames) : plausibleWord },
    {
      weight: 1,
      arbitrary: fc.oneof(
        oddText.filter((text) => text.length < 100),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'lastEventId', 'input', 'json'),
      ),
    },
  );
  // Anything, duplicate keys included (JSON.parse keeps the last).
  return fc.array(fc.tuple(key, valueText(fieldNames, depth)), { maxLength: 6 }).map(entriesText);
}

/**
 * A value for one field of an input schema as JSON text: mostly of the field's kind (an enum's members, a date-time
 * near the edges of what PostgreSQL and JavaScript hold, an id, a number past the bounds), so that the rest of an
 * input is often valid and the one hostile value reaches the procedure.
 */
function fieldValueText(schema: unknown): fc.Arbitrary<string> {
  const anything = valueText([], 0);
  const ofKind = (arbitrary: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: anything });
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return fieldValueText(schema.unwrap());
  if (schema instanceof z.ZodEnum)
    return ofKind(fc.constantFrom(...schema.options).map((option) => JSON.stringify(option)));
  if (schema instanceof z.ZodNumber) return ofKind(numberText);
  if (schema instanceof z.ZodStringFormat && schema.format === 'uuid')
    return ofKind(uuidLike.map((text) => JSON.stringify(text)));
  if (schema instanceof z.ZodStringFormat && schema.format === 'datetime')
    return ofKind(isoDateLike.map((text) => JSON.stringify(text)));
  if (schema instanceof z.ZodString)
    return ofKind(fc.oneof(plausibleWord, oddText, digitsLike).map((text) => JSON.stringify(text)));
  return anything;
}

/**
 * What a procedure's input may be as JSON text, or undefined for no input at all: mostly objects over some of the
 * schema's real fields, each of the field's kind or not; sometimes anything else.
 */
export function inputText(schema: unknown): fc.Arbitrary<string | undefined> {
  const fields = Object.entries(shapeOf(schema));
  const fieldNames = fields.map(([name]) => name);
  const sparse = fc
    .subarray(fields, { maxLength: Math.min(4, fields.length) })
    .chain((chosen) =>
      fc.tuple(...chosen.map(([name, field]) => fieldValueText(field).map((value) => [name, value] as const))),
    )
    .map(entriesText);
  return fc.oneof(
    { weight: fields.length > 0 ? 16 : 0, arbitrary: sparse },
    { weight: 3, arbitrary: objectText(fieldNames, 2) },
    { weight: 2, arbitrary: valueText(fieldNames, 2) },
    { weight: 1, arbitrary: brokenJsonText },
    { weight: 1, arbitrary: deepJsonText },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** The fields of a procedure's input schema (through default, optional, nullable and pipes); none when it is no object. */
function shapeOf(schema: unknown): Record<string, unknown> {
  if (schema instanceof z.ZodObject) return schema.shape;
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return shapeOf(schema.unwrap());
  if (schema instanceof z.ZodPipe) return shapeOf(schema.in);
  return {};
}

/** The top-level field names of a procedure's input schema. */
export function fieldNamesOf(schema: unknown): string[] {
  return Object.keys(shapeOf(schema));
}

/** A path after `/trpc/` that no procedure has, or that is not even well-formed. */
export const oddProcedurePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%ff',
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%00',
    'health%00',
    'inbox.submit%ff',
    'inbox',
    'inbox.',
    '.',
    '..',
    '../healthz',
    'inbox..submit',
    'constructor',
    '__proto__',
    'toString',
    'health,',
    ',',
    'health,,health',
    'chains.get/extra',
    'HEALTH',
    'health%2Cinbox.list',
  ),
  fc.string({ unit: fc.constantFrom('a', '.', ',', '%', 'f', 'F', '0', 'e', '/', '_'), maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
);

/** A query string as a client may mangle it. */
export const oddQueryString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '?',
    '?batch',
    '?batch=1',
    '?batch=0',
    '?batch=true',
    '?input',
    '?input=',
    '?input=%ff',
    '?input=%7B',
    '?batch=1&input=%5B%5D',
    '?batch=1&input=null',
    '?batch=1&input=%7B%22-1%22%3A1%7D',
    '?input=1&input=2',
    '?connectionParams=1',
    '?%ff=1',
  ),
  fc
    .string({ unit: fc.constantFrom('?', '&', '=', '%', 'f', 'batch', 'input', '1', '{', '}', '"'), maxLength: 12 })
    .map((text) => `?${text}`),
);

/** A raw WebSocket message that is not a well-formed tRPC request. */
export const oddWsMessage: fc.Arbitrary<string> = fc.oneof(
  brokenJsonText,
  deepJsonText,
  valueText(['id', 'method', 'params', 'jsonrpc', 'path', 'input', 'data', 'lastEventId'], 3),
  fc
    .tuple(
      valueText([], 1),
      fc.constantFrom(
        'query',
        'mutation',
        'subscription',
        'subscription.stop',
        'connectionParams',
        'QUERY',
        '',
        'unknown',
      ),
      valueText(['path', 'input', 'lastEventId'], 2),
    )
    .map(([id, method, params]) => `{"id":${id},"method":${JSON.stringify(method)},"params":${params}}`),
  fc.constantFrom(
    '[]',
    '[{}]',
    '[{"id":1,"method":"query","params":{"path":"health"}}]',
    '{"method":"connectionParams","data":{"token":"\\ud800"}}',
    'PING',
    'PONG',
  ),
);
