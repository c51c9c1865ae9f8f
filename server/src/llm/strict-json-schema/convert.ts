import { z } from 'zod';
import {
  type ArrayDecoder,
  type Decoder,
  type EntriesDecoder,
  type FieldDecoder,
  type ObjectDecoder,
  type PassThroughDecoder,
  type RefDecoder,
  type TupleDecoder,
  type UnionBranch,
  type UnionDecoder,
  WRAPPER_KEY,
  decodeValue,
  markDecodersThatChangeValues,
  unwrapValue,
} from './decode.js';
import {
  DEFS_POINTER,
  type JsonSchema,
  ROOT_POINTER,
  defNameOf,
  escapePointer,
  isArray,
  isJsonSchema,
  isString,
  literalValuesOf,
  setOwnProperty,
} from './json-schema.js';
import { type StrictDocument, findDiscriminator } from './union-match.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

export interface StrictJsonSchema {
  /** the schema to send to the provider (strict-mode valid) */
  schema: JsonSchema;
  /** turns a value shaped by `schema` into the value the original zod schema parses (does NOT validate; the caller runs zod after) */
  decode(value: unknown): unknown;
}

// Strict mode accepts only these formats; zod validates every other one after decode.
const KEPT_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
const ANNOTATION_KEYWORDS = ['description', 'title'] as const;
const LEAF_KEYWORDS = [
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
] as const;
const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const UNREPRESENTABLE_MARKER = 'x-unrepresentable';

interface Converted {
  schema: JsonSchema;
  decoder: Decoder;
}

interface ConversionContext {
  sourceRoot: JsonSchema;
  sourceDefs: Record<string, JsonSchema>;
  document: StrictDocument;
  decoders: Decoder[];
  refsToDefs: { name: string; decoder: RefDecoder }[];
  refsToRoot: { node: JsonSchema; decoder: RefDecoder }[];
  referencedDefs: Set<string>;
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
 *   intersections zod cannot fold into one object, tuples with a rest element.
 */
export function toStrictJsonSchema(schema: z.ZodType): StrictJsonSchema {
  const source = toInputJsonSchema(schema);
  const sourceDefs = isJsonSchema(source.$defs) ? recordOfSchemas(source.$defs, '$defs') : {};
  const context: ConversionContext = {
    sourceRoot: source,
    sourceDefs,
    document: { root: {}, defs: {} },
    decoders: [],
    refsToDefs: [],
    refsToRoot: [],
    referencedDefs: new Set(),
  };
  const convertedDefs = new Map<string, Converted>();
  for (const [name, definition] of Object.entries(sourceDefs)) {
    const converted = convertNode(definition, `$defs.${name}`, context);
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
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedSchemaError('$', `zod could not convert it to JSON schema (${reason})`, { cause: error });
  }
}

/** A root that is (a `$ref` to) an object stays unwrapped; a def referenced only by the root is inlined. */
function convertRoot(source: JsonSchema, convertedDefs: Map<string, Converted>, context: ConversionContext): Converted {
  const name = typeof source.$ref === 'string' ? defNameOf(source.$ref) : undefined;
  const definition = name === undefined ? undefined : convertedDefs.get(name);
  if (name === undefined || definition === undefined || !isClosedObjectSchema(definition.schema)) {
    return convertNode(source, '$', context);
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

function convertNode(source: JsonSchema, path: string, context: ConversionContext): Converted {
  rejectUnexpressible(source, path);
  if (typeof source.$ref === 'string') return convertRef(source.$ref, path, context);
  const branches = isArray(source.anyOf) ? source.anyOf : isArray(source.oneOf) ? source.oneOf : undefined;
  if (branches !== undefined) return convertUnion(source, branches, path, context);
  const types = declaredTypes(source);
  if (types.length === 0) {
    throw new UnsupportedSchemaError(
      path,
      'it accepts any value (z.any(), z.unknown() or a bare custom type); give it a concrete type',
    );
  }
  if (types.length > 1 && types.some((type) => !PRIMITIVE_TYPES.has(type))) {
    throw new UnsupportedSchemaError(path, `a value of several types (${types.join(', ')}) needs a union`);
  }
  if (types[0] === 'object') return convertObjectType(source, path, context);
  if (types[0] === 'array') return convertArrayType(source, path, context);
  if (types.filter((type) => type !== 'null').length > 1 && source.enum === undefined && source.const === undefined) {
    return splitTypeArray(source, types, context);
  }
  return { schema: convertPrimitive(source, types), decoder: passThrough(context) };
}

function rejectUnexpressible(source: JsonSchema, path: string): void {
  const unrepresentable = source[UNREPRESENTABLE_MARKER];
  if (typeof unrepresentable === 'string') throw new UnsupportedSchemaError(path, unrepresentable);
  if (isArray(source.allOf)) {
    throw new UnsupportedSchemaError(path, 'zod could not fold this intersection into one object (allOf)');
  }
  if (source.not !== undefined) throw new UnsupportedSchemaError(path, 'it accepts no value (z.never() or `not`)');
}

function convertRef(ref: string, path: string, context: ConversionContext): Converted {
  const decoder: RefDecoder = { kind: 'ref', target: undefined, changesValue: false };
  context.decoders.push(decoder);
  if (ref === ROOT_POINTER) {
    const node: JsonSchema = { $ref: ROOT_POINTER };
    context.refsToRoot.push({ node, decoder });
    return { schema: node, decoder };
  }
  const name = defNameOf(ref);
  if (name === undefined || !Object.hasOwn(context.sourceDefs, name)) {
    throw new UnsupportedSchemaError(path, `the reference ${ref} does not point into this schema's $defs`);
  }
  context.referencedDefs.add(name);
  context.refsToDefs.push({ name, decoder });
  // Keywords zod puts beside a $ref (a description, a refinement) are dropped: strict mode wants a bare $ref.
  return { schema: { $ref: ref }, decoder };
}

function convertUnion(
  source: JsonSchema,
  sourceBranches: unknown[],
  path: string,
  context: ConversionContext,
): Converted {
  const branches: UnionBranch[] = [];
  for (const [index, branch] of sourceBranches.entries()) {
    const converted = convertNode(asSchema(branch, `${path}|${index}`), path, context);
    const nested = converted.decoder;
    // anyOf inside anyOf (nested discriminated unions) reads better, and discriminates better, flattened.
    if (nested.kind === 'union' && !hasAnnotations(converted.schema)) branches.push(...nested.branches);
    else branches.push(converted);
  }
  const decoder: UnionDecoder = {
    kind: 'union',
    branches,
    discriminator: findDiscriminator(branches),
    document: context.document,
    changesValue: false,
  };
  context.decoders.push(decoder);
  const schema: JsonSchema = { anyOf: branches.map((branch) => branch.schema) };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder };
}

/** A multi-type `type` array (zod compacts `z.union([z.string(), z.number()])` to one) becomes `anyOf`. */
function splitTypeArray(source: JsonSchema, types: string[], context: ConversionContext): Converted {
  const schema: JsonSchema = { anyOf: types.map((type) => ({ type })) };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder: passThrough(context) };
}

function convertPrimitive(source: JsonSchema, types: string[]): JsonSchema {
  const schema: JsonSchema = { type: types.length === 1 ? types[0] : types };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  copyKeywords(source, schema, LEAF_KEYWORDS);
  if (typeof source.format === 'string' && KEPT_FORMATS.has(source.format)) schema.format = source.format;
  return schema;
}

function convertArrayType(source: JsonSchema, path: string, context: ConversionContext): Converted {
  if (isArray(source.prefixItems)) return convertTuple(source, source.prefixItems, path, context);
  const items = convertNode(asSchema(source.items, `${path}[]`), `${path}[]`, context);
  const decoder: ArrayDecoder = { kind: 'array', items: items.decoder, changesValue: false };
  context.decoders.push(decoder);
  const schema: JsonSchema = { type: 'array', items: items.schema };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  copyKeywords(source, schema, ['minItems', 'maxItems']);
  return { schema, decoder };
}

/** Tuples become objects keyed "0", "1", …: strict mode has no prefixItems. */
function convertTuple(source: JsonSchema, prefixItems: unknown[], path: string, context: ConversionContext): Converted {
  if (source.items !== undefined && source.items !== false) {
    throw new UnsupportedSchemaError(path, 'tuples with a rest element are not supported');
  }
  const requiredCount = typeof source.minItems === 'number' ? source.minItems : prefixItems.length;
  const properties: JsonSchema = {};
  const elements: FieldDecoder[] = [];
  for (const [index, item] of prefixItems.entries()) {
    const elementPath = `${path}[${index}]`;
    const optional = index >= requiredCount;
    const field = convertField(String(index), asSchema(item, elementPath), optional, elementPath, context);
    properties[field.key] = field.schema;
    elements.push(field);
  }
  const decoder: TupleDecoder = { kind: 'tuple', elements, changesValue: true };
  context.decoders.push(decoder);
  const schema = closedObjectSchema(properties);
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder };
}

function convertObjectType(source: JsonSchema, path: string, context: ConversionContext): Converted {
  const properties = isJsonSchema(source.properties) ? source.properties : {};
  const required = new Set(isArray(source.required) ? source.required.filter(isString) : []);
  const propertyNames = isJsonSchema(source.propertyNames) ? source.propertyNames : undefined;
  // `additionalProperties: {}` (a loose object) constrains nothing; records always come with `propertyNames`.
  const valueSchema =
    isJsonSchema(source.additionalProperties) && Object.keys(source.additionalProperties).length > 0
      ? source.additionalProperties
      : undefined;
  if (Object.keys(properties).length > 0 || (valueSchema === undefined && propertyNames === undefined)) {
    // Fixed properties win: a catchall or loose object's extra keys are simply not offered to the model.
    const fields = Object.keys(properties).map((key) => {
      const propertyPath = `${path}.${key}`;
      return convertField(key, asSchema(properties[key], propertyPath), !required.has(key), propertyPath, context);
    });
    return convertFixedObject(source, fields, context);
  }
  const valuePath = `${path}{}`;
  const fixedKeys = propertyNames === undefined ? undefined : fixedKeysOf(propertyNames);
  if (fixedKeys !== undefined) {
    const value = asSchema(valueSchema ?? {}, valuePath);
    const fields = fixedKeys.map((key) => convertField(key, value, !required.has(key), valuePath, context));
    return convertFixedObject(source, fields, context);
  }
  return convertRecordToEntries(source, propertyNames, asSchema(valueSchema ?? {}, valuePath), path, context);
}

interface ConvertedField extends FieldDecoder {
  schema: JsonSchema;
}

function convertField(
  key: string,
  source: JsonSchema,
  optional: boolean,
  path: string,
  context: ConversionContext,
): ConvertedField {
  const converted = convertNode(source, path, context);
  const nullMeansAbsent = optional && !acceptsNull(source, context, new Set());
  return {
    key,
    schema: nullMeansAbsent ? withNull(converted.schema) : converted.schema,
    decoder: converted.decoder,
    nullMeansAbsent,
  };
}

function convertFixedObject(source: JsonSchema, fields: ConvertedField[], context: ConversionContext): Converted {
  const properties: JsonSchema = {};
  const decoderFields = new Map<string, FieldDecoder>();
  for (const field of fields) {
    setOwnProperty(properties, field.key, field.schema);
    decoderFields.set(field.key, field);
  }
  const decoder: ObjectDecoder = { kind: 'object', fields: decoderFields, changesValue: false };
  context.decoders.push(decoder);
  const schema = closedObjectSchema(properties);
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder };
}

/** Strict mode has no open maps, so a record is sent as `[{ key, value }]` and decoded back into an object. */
function convertRecordToEntries(
  source: JsonSchema,
  propertyNames: JsonSchema | undefined,
  valueSource: JsonSchema,
  path: string,
  context: ConversionContext,
): Converted {
  const key =
    propertyNames === undefined ? { type: 'string' } : convertNode(propertyNames, `${path}{key}`, context).schema;
  const value = convertNode(valueSource, `${path}{}`, context);
  const decoder: EntriesDecoder = { kind: 'entries', value: value.decoder, changesValue: true };
  context.decoders.push(decoder);
  const schema: JsonSchema = { type: 'array', items: closedObjectSchema({ key, value: value.schema }) };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder };
}

function closedObjectSchema(properties: JsonSchema): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

function isClosedObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.additionalProperties === false;
}

function withNull(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string' && schema.enum === undefined && schema.const === undefined) {
    return { ...schema, type: [schema.type, 'null'] };
  }
  if (isArray(schema.anyOf) && !hasAnnotations(schema)) return { anyOf: [...schema.anyOf, { type: 'null' }] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** Whether the zod-emitted schema accepts null (then null from the model is a value, not "absent"). */
function acceptsNull(source: JsonSchema, context: ConversionContext, visited: Set<JsonSchema>): boolean {
  if (visited.has(source)) return false;
  visited.add(source);
  if (typeof source.$ref === 'string') {
    const target = resolveSourceRef(source.$ref, context);
    return target !== undefined && acceptsNull(target, context, visited);
  }
  const branches = isArray(source.anyOf) ? source.anyOf : isArray(source.oneOf) ? source.oneOf : undefined;
  if (branches !== undefined) {
    return branches.some((branch) => isJsonSchema(branch) && acceptsNull(branch, context, visited));
  }
  if ('const' in source) return source.const === null;
  if (isArray(source.enum)) return source.enum.includes(null);
  return source.type === 'null' || (isArray(source.type) && source.type.includes('null'));
}

function resolveSourceRef(ref: string, context: ConversionContext): JsonSchema | undefined {
  if (ref === ROOT_POINTER) return context.sourceRoot;
  const name = defNameOf(ref);
  return name === undefined ? undefined : context.sourceDefs[name];
}

/** The keys of an enum- or literal-keyed record (`propertyNames` with const, enum or anyOf of those). */
function fixedKeysOf(propertyNames: JsonSchema): string[] | undefined {
  if (isArray(propertyNames.anyOf)) {
    const keys: string[] = [];
    for (const branch of propertyNames.anyOf) {
      const branchKeys = isJsonSchema(branch) ? fixedKeysOf(branch) : undefined;
      if (branchKeys === undefined) return undefined;
      keys.push(...branchKeys);
    }
    return keys;
  }
  const values = literalValuesOf(propertyNames);
  return values !== undefined && values.every(isString) ? values : undefined;
}


/** Types from `type`, or for a bare `enum`/`const` (e.g. `z.literal(['a', null])`) the types of its values. */
function declaredTypes(source: JsonSchema): string[] {
  if (typeof source.type === 'string') return [source.type];
  if (isArray(source.type)) return source.type.filter(isString);
  const values = literalValuesOf(source) ?? [];
  const types: string[] = [];
  for (const value of values) {
    const type = value === null ? 'null' : typeof value;
    if (PRIMITIVE_TYPES.has(type) && !types.includes(type)) types.push(type);
  }
  return types;
}

function passThrough(context: ConversionContext): PassThroughDecoder {
  const decoder: PassThroughDecoder = { kind: 'pass', changesValue: false };
  context.decoders.push(decoder);
  return decoder;
}

function hasAnnotations(schema: JsonSchema): boolean {
  return ANNOTATION_KEYWORDS.some((keyword) => schema[keyword] !== undefined);
}

function copyKeywords(source: JsonSchema, target: JsonSchema, keywords: readonly string[]): void {
  for (const keyword of keywords) if (source[keyword] !== undefined) target[keyword] = source[keyword];
}

function recordOfSchemas(value: JsonSchema, path: string): Record<string, JsonSchema> {
  const result: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(value)) setOwnProperty(result, name, asSchema(schema, `${path}.${name}`));
  return result;
}

function asSchema(value: unknown, path: string): JsonSchema {
  if (isJsonSchema(value)) return value;
  throw new UnsupportedSchemaError(path, `expected a schema object, got ${JSON.stringify(value)}`);
}

