import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

export interface StrictJsonSchema {
  /** the schema to send to the provider (strict-mode valid) */
  schema: JsonSchema;
  /** turns a value shaped by `schema` into the value the original zod schema parses (does NOT validate; the caller runs zod after) */
  decode(value: unknown): unknown;
}

/** A part of a zod schema that strict structured output cannot express; `path` names where it is. */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
  readonly path: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`Cannot express ${path} as a strict JSON schema: ${reason}`, options);
    this.path = path;
  }

  /** True for an UnsupportedSchemaError even from a duplicate copy of this module. */
  static is(error: unknown): error is UnsupportedSchemaError {
    return error instanceof Error && error.name === 'UnsupportedSchemaError' && 'path' in error;
  }
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
const WRAPPER_KEY = 'value';
const DEFS_POINTER = '#/$defs/';
const ROOT_POINTER = '#';

interface DecoderBase {
  /** false when decoding returns the value untouched; set by markDecodersThatChangeValues */
  changesValue: boolean;
}
interface PassThroughDecoder extends DecoderBase {
  kind: 'pass';
}
interface FieldDecoder {
  key: string;
  decoder: Decoder;
  /** the property was optional and did not accept null: null from the model means "absent" */
  nullMeansAbsent: boolean;
}
interface ObjectDecoder extends DecoderBase {
  kind: 'object';
  fields: Map<string, FieldDecoder>;
}
interface ArrayDecoder extends DecoderBase {
  kind: 'array';
  items: Decoder;
}
interface EntriesDecoder extends DecoderBase {
  kind: 'entries';
  value: Decoder;
}
interface TupleDecoder extends DecoderBase {
  kind: 'tuple';
  elements: FieldDecoder[];
}
interface UnionBranch {
  schema: JsonSchema;
  decoder: Decoder;
}
interface UnionDecoder extends DecoderBase {
  kind: 'union';
  branches: UnionBranch[];
  discriminator: { key: string; branchByValue: Map<unknown, UnionBranch> } | undefined;
  document: StrictDocument;
}
interface RefDecoder extends DecoderBase {
  kind: 'ref';
  target: Decoder | undefined;
}
type Decoder =
  | PassThroughDecoder
  | ObjectDecoder
  | ArrayDecoder
  | EntriesDecoder
  | TupleDecoder
  | UnionDecoder
  | RefDecoder;

interface Converted {
  schema: JsonSchema;
  decoder: Decoder;
}

/** The strict schema being built, for resolving `$ref`s while matching union branches at decode time. */
interface StrictDocument {
  root: JsonSchema;
  defs: Record<string, JsonSchema>;
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
 * Converts a zod schema into the JSON schema subset that OpenAI strict structured outputs (and Anthropic
 * structured outputs) accept, plus a `decode` that maps the model's strict-shaped JSON back to what the zod
 * schema parses. Run the zod schema on the decoded value: decode reshapes, it does not validate.
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

function literalValuesOf(schema: JsonSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  return isArray(schema.enum) ? schema.enum : undefined;
}

/** The first property whose const/enum values tell every object branch apart. */
function findDiscriminator(branches: UnionBranch[]): UnionDecoder['discriminator'] {
  const objectBranches = branches.filter((branch) => isJsonSchema(branch.schema.properties));
  const firstProperties = objectBranches[0]?.schema.properties;
  if (objectBranches.length < 2 || !isJsonSchema(firstProperties)) return undefined;
  for (const key of Object.keys(firstProperties)) {
    const branchByValue = new Map<unknown, UnionBranch>();
    const discriminates = objectBranches.every((branch) => {
      const property = isJsonSchema(branch.schema.properties) ? branch.schema.properties[key] : undefined;
      const values = isJsonSchema(property) ? literalValuesOf(property) : undefined;
      if (values === undefined) return false;
      for (const value of values) {
        if (branchByValue.has(value)) return false;
        branchByValue.set(value, branch);
      }
      return true;
    });
    if (discriminates) return { key, branchByValue };
  }
  return undefined;
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

/** Least fixpoint over the decoder graph (refs make it cyclic): only decoders that reshape something do work. */
function markDecodersThatChangeValues(decoders: Decoder[]): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const decoder of decoders) {
      if (!decoder.changesValue && reshapesValue(decoder)) {
        decoder.changesValue = true;
        changed = true;
      }
    }
  }
}

function reshapesValue(decoder: Decoder): boolean {
  switch (decoder.kind) {
    case 'pass':
      return false;
    case 'entries':
    case 'tuple':
      return true;
    case 'object':
      for (const field of decoder.fields.values()) if (field.nullMeansAbsent || field.decoder.changesValue) return true;
      return false;
    case 'array':
      return decoder.items.changesValue;
    case 'union':
      return decoder.branches.some((branch) => branch.decoder.changesValue);
    case 'ref':
      return decoder.target?.changesValue ?? false;
  }
}

function unwrapValue(value: unknown): unknown {
  return isRecord(value) && Object.hasOwn(value, WRAPPER_KEY) ? value[WRAPPER_KEY] : value;
}

/** Values that do not have the expected shape are returned as they are, for zod to report. */
function decodeValue(value: unknown, decoder: Decoder): unknown {
  if (!decoder.changesValue) return value;
  switch (decoder.kind) {
    case 'pass':
      return value;
    case 'object':
      return decodeObject(value, decoder);
    case 'array':
      return isArray(value) ? value.map((item) => decodeValue(item, decoder.items)) : value;
    case 'entries':
      return decodeEntries(value, decoder);
    case 'tuple':
      return decodeTuple(value, decoder);
    case 'union':
      return decodeUnion(value, decoder);
    case 'ref':
      return decoder.target === undefined ? value : decodeValue(value, decoder.target);
  }
}

function decodeObject(value: unknown, decoder: ObjectDecoder): unknown {
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    const field = decoder.fields.get(key);
    if (field === undefined) setOwnProperty(result, key, item);
    else if (item !== null || !field.nullMeansAbsent) setOwnProperty(result, key, decodeValue(item, field.decoder));
  }
  return result;
}

function decodeEntries(value: unknown, decoder: EntriesDecoder): unknown {
  if (!isArray(value)) return value;
  const result: Record<string, unknown> = {};
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.key !== 'string') return value;
    setOwnProperty(result, entry.key, decodeValue(entry.value, decoder.value));
  }
  return result;
}

function decodeTuple(value: unknown, decoder: TupleDecoder): unknown {
  if (!isRecord(value)) return value;
  const result: unknown[] = [];
  let length = 0;
  for (const element of decoder.elements) {
    const item = value[element.key];
    const absent = item === undefined || (item === null && element.nullMeansAbsent);
    result.push(absent ? undefined : decodeValue(item, element.decoder));
    if (!absent) length = result.length;
  }
  result.length = length;
  return result;
}

function decodeUnion(value: unknown, decoder: UnionDecoder): unknown {
  const { discriminator } = decoder;
  const byDiscriminator =
    discriminator !== undefined && isRecord(value)
      ? discriminator.branchByValue.get(value[discriminator.key])
      : undefined;
  const branch =
    byDiscriminator ?? decoder.branches.find((candidate) => matchesShape(value, candidate.schema, decoder.document));
  return branch === undefined ? value : decodeValue(value, branch.decoder);
}

/** A structural check of a value against a strict schema: types, const/enum and exact key sets, not constraints. */
function matchesShape(value: unknown, schema: JsonSchema, document: StrictDocument): boolean {
  if (typeof schema.$ref === 'string') {
    const target = resolveStrictRef(schema.$ref, document);
    return target === undefined || matchesShape(value, target, document);
  }
  if (isArray(schema.anyOf)) {
    return schema.anyOf.some((branch) => isJsonSchema(branch) && matchesShape(value, branch, document));
  }
  if ('const' in schema && schema.const !== value) return false;
  if (isArray(schema.enum) && !schema.enum.includes(value)) return false;
  const { type } = schema;
  if (typeof type === 'string') return matchesType(value, type, schema, document);
  if (isArray(type)) return type.some((member) => isString(member) && matchesType(value, member, schema, document));
  return true;
}

function matchesType(value: unknown, type: string, schema: JsonSchema, document: StrictDocument): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
    case 'boolean':
    case 'number':
      return typeof value === type;
    case 'integer':
      return Number.isInteger(value);
    case 'array': {
      const { items } = schema;
      return isArray(value) && (!isJsonSchema(items) || value.every((item) => matchesShape(item, items, document)));
    }
    case 'object':
      return isRecord(value) && matchesProperties(value, schema, document);
    default:
      return false;
  }
}

function matchesProperties(value: Record<string, unknown>, schema: JsonSchema, document: StrictDocument): boolean {
  const properties = isJsonSchema(schema.properties) ? schema.properties : {};
  for (const key in value) if (!Object.hasOwn(properties, key)) return false;
  for (const key in properties) {
    const property = properties[key];
    if (!Object.hasOwn(value, key)) return false;
    if (isJsonSchema(property) && !matchesShape(value[key], property, document)) return false;
  }
  return true;
}

function resolveStrictRef(ref: string, document: StrictDocument): JsonSchema | undefined {
  if (ref === ROOT_POINTER) return document.root;
  const name = defNameOf(ref);
  return name === undefined ? undefined : document.defs[name];
}

function defNameOf(ref: string): string | undefined {
  if (!ref.startsWith(DEFS_POINTER)) return undefined;
  const escaped = ref.slice(DEFS_POINTER.length);
  return escaped.includes('/') ? undefined : escaped.replaceAll('~1', '/').replaceAll('~0', '~');
}

function escapePointer(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
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

/** Plain assignment of `__proto__` would set the prototype instead of adding a key. */
function setOwnProperty<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function isJsonSchema(value: unknown): value is JsonSchema {
  return isRecord(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !isArray(value);
}

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
