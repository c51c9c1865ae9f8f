import { type ConversionContext, type Converted, passThrough } from './conversion-context.js';
import { convertArrayType } from './convert-array.js';
import { convertObjectType } from './convert-object.js';
import { convertPrimitive } from './convert-scalar.js';
import { convertUnion, splitTypeArray } from './convert-union.js';
import type { RefDecoder } from './decode.js';
import { type JsonSchema, ROOT_POINTER, defNameOf, isArray, isString, literalValuesOf } from './json-schema.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

/** What zod emits, through our `unrepresentable` option, for a part it cannot express in JSON schema. */
export const UNREPRESENTABLE_MARKER = 'x-unrepresentable';
const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** A fresh context whose `convert` walks any node of `sourceRoot` or `sourceDefs`. */
export function createConversionContext(
  sourceRoot: JsonSchema,
  sourceDefs: Record<string, JsonSchema>,
): ConversionContext {
  const context: ConversionContext = {
    sourceRoot,
    sourceDefs,
    document: { root: {}, defs: {} },
    decoders: [],
    refsToDefs: [],
    refsToRoot: [],
    referencedDefs: new Set(),
    convert: (source, path) => convertNode(source, path, context),
  };
  return context;
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

/** A `$ref`'s decoder gets its target once every def is converted, since refs can be recursive. */
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
