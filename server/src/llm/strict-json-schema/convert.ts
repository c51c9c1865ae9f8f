import { z } from 'zod';
import { type ConversionContext, type Converted, asSchema } from './conversion-context.js';
import { UNREPRESENTABLE_MARKER, createConversionContext } from './convert-node.js';
import { closedObjectSchema, isClosedObjectSchema } from './convert-object.js';
import { WRAPPER_KEY, decodeValue, markDecodersThatChangeValues, unwrapValue } from './decode.js';
import {
  DEFS_POINTER,
  type JsonSchema,
  defNameOf,
  escapePointer,
  isJsonSchema,
  setOwnProperty,
} from './json-schema.js';
import { assertWithinOpenAiLimits } from './openai-limits.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';
import { errorMessage } from '../../error-message.js';

export interface StrictJsonSchema {
  /** the schema to send to the provider (strict-mode valid) */
  schema: JsonSchema;
  /** turns a value shaped by `schema` into the value the original zod schema parses (does NOT validate; the caller runs zod after) */
  decode(value: unknown): unknown;
}

/**
 * Converts a zod schema into the JSON schema subset that OpenAI strict structured outputs accept, plus a `decode`
 * that maps the model's strict-shaped JSON back to what the zod schema parses. Run the zod schema on the decoded
 * value: decode reshapes, it does not validate. Anthropic accepts fewer keywords: send it
 * `toAnthropicJsonSchema(schema)`, which the same `decode` reads back.
 *
 * The shape sent to the model differs from the zod schema where strict mode requires it:
 * - every object is closed and lists all its properties as required; an optional property becomes nullable and
 *   decode removes it when the model sent null (so `.default()` applies), unless the property accepted null
 *   itself (`.nullish()`); catchall/loose extra keys are not offered to the model;
 * - a record with free keys becomes an array of `{ key, value }` entries; a record keyed by an enum or literals
 *   becomes an object with exactly those keys (partial records: nullable keys, null means absent);
 * - a tuple becomes an object keyed "0", "1", …; a tuple with a rest element is rejected;
 * - a root that is not a plain object is wrapped as `{ value: … }`;
 * - `oneOf` becomes `anyOf`; keywords strict mode rejects (minLength, other formats, defaults…) are dropped,
 *   the zod validation after decode still enforces them.
 *
 * @throws UnsupportedSchemaError naming the path (`$.items[].when`, `$defs.Node.meta{}`) of the first part
 *   that cannot be expressed: z.date(), z.bigint(), z.map(), z.set(), functions, z.any()/z.unknown(), z.never(),
 *   intersections zod cannot fold into one object, tuples with a rest element, records whose keys are not strings
 *   (`z.record(z.boolean(), …)`; numeric keys are fine, zod keys them by numeric strings); and a schema that,
 *   once converted, breaks one of OpenAI's size limits (OPENAI_SCHEMA_LIMITS: properties, nesting, enum values,
 *   total name and value length).
 */
export function toStrictJsonSchema(schema: z.ZodType): StrictJsonSchema {
  const source = toInputJsonSchema(schema);
  const sourceDefs = isJsonSchema(source.$defs) ? recordOfSchemas(source.$defs, '$defs') : {};
  const context = createConversionContext(source, sourceDefs);
  const convertedDefs = new Map<string, Converted>();
  for (const [name, definition] of Object.entries(sourceDefs)) {
    const converted = context.convert(definition, `$defs.${name}`);
    convertedDefs.set(name, converted);
    setOwnProperty(context.document.defs, name, converted.schema);
  }
  const root = convertRoot(source, convertedDefs, context);
  for (const { name, decoder } of context.refsToDefs) decoder.target = convertedDefs.get(name)?.decoder;
  for (const { decoder } of context.refsToRoot) decoder.target = root.decoder;
  markDecodersThatChangeValues(context.decoders);

  const wrapped = !isClosedObjectSchema(root.schema);
  const wrappedValue = wrapped && context.refsToRoot.length > 0 ? moveRootIntoDefs(root.schema, context) : root.schema;
  const body = wrapped ? closedObjectSchema({ [WRAPPER_KEY]: wrappedValue }) : root.schema;
  const hasDefs = Object.keys(context.document.defs).length > 0;
  const strictSchema = hasDefs ? { ...body, $defs: context.document.defs } : { ...body };
  context.document.root = strictSchema;
  assertWithinOpenAiLimits(strictSchema);

  const rootDecoder = root.decoder;
  return {
    schema: strictSchema,
    decode: wrapped
      ? (value) => decodeValue(unwrapValue(value), rootDecoder)
      : (value) => decodeValue(value, rootDecoder),
  };
}

function toInputJsonSchema(schema: z.ZodType): JsonSchema {
  try {
    return z.toJSONSchema(schema, {
      io: 'input',
      target: 'draft-2020-12',
      // A marker instead of zod's throw, so the error can name the path in our terms.
      unrepresentable: ({ message }) => ({ [UNREPRESENTABLE_MARKER]: message }),
    });
  } catch (error) {
    const reason = errorMessage(error);
    throw new UnsupportedSchemaError('$', `zod could not convert it to JSON schema (${reason})`, { cause: error });
  }
}

/** A root that is (a `$ref` to) an object stays unwrapped; a def referenced only by the root is inlined. */
function convertRoot(source: JsonSchema, convertedDefs: Map<string, Converted>, context: ConversionContext): Converted {
  const name = typeof source.$ref === 'string' ? defNameOf(source.$ref) : undefined;
  const definition = name === undefined ? undefined : convertedDefs.get(name);
  if (name === undefined || definition === undefined || !isClosedObjectSchema(definition.schema)) {
    return context.convert(source, '$');
  }
  if (!context.referencedDefs.has(name)) delete context.document.defs[name];
  return definition;
}

/** `#` cannot point at a wrapped root, so the root goes into `$defs`; returns the `$ref` that now stands for it. */
function moveRootIntoDefs(rootSchema: JsonSchema, context: ConversionContext): JsonSchema {
  let name = 'root';
  for (let suffix = 1; Object.hasOwn(context.document.defs, name); suffix += 1) name = `root${suffix}`;
  setOwnProperty(context.document.defs, name, rootSchema);
  const ref = DEFS_POINTER + escapePointer(name);
  for (const { node } of context.refsToRoot) node.$ref = ref;
  return { $ref: ref };
}

function recordOfSchemas(value: JsonSchema, path: string): Record<string, JsonSchema> {
  const result: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(value)) setOwnProperty(result, name, asSchema(schema, `${path}.${name}`));
  return result;
}
