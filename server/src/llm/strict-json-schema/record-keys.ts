import { type ConversionContext, resolveSourceRef } from './conversion-context.js';
import { type JsonSchema, isArray, isJsonSchema, isString, literalValuesOf } from './json-schema.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

/**
 * Refuses a record whose key schema accepts anything but strings (`z.record(z.boolean(), …)`): decode turns each
 * entry's key into an object key, always a string, which such a key schema then rejects. Numeric keys pass: zod
 * emits `z.number()` keys as strings with a numeric pattern, and parses them back from the object's string keys.
 */
export function assertStringKeys(propertyNames: JsonSchema, keyPath: string, context: ConversionContext): void {
  const others = [...keyTypes(propertyNames, context, new Set())].filter((type) => type !== 'string');
  if (others.length === 0) return;
  throw new UnsupportedSchemaError(
    keyPath,
    `a record's keys must be strings, and this key schema accepts ${others.join(', ')}; ` +
      'key the record by z.string(), a string enum or z.number() (which zod keys by numeric strings)',
  );
}

/** The JSON types a zod-emitted key schema accepts, through $refs and unions. */
function keyTypes(schema: JsonSchema, context: ConversionContext, visited: Set<JsonSchema>): Set<string> {
  const types = new Set<string>();
  if (visited.has(schema)) return types;
  visited.add(schema);
  if (typeof schema.$ref === 'string') {
    const target = resolveSourceRef(schema.$ref, context);
    return target === undefined ? types : keyTypes(target, context, visited);
  }
  const branches = isArray(schema.anyOf) ? schema.anyOf : isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (branches !== undefined) {
    for (const branch of branches.filter(isJsonSchema)) {
      for (const type of keyTypes(branch, context, visited)) types.add(type);
    }
    return types;
  }
  if (typeof schema.type === 'string') types.add(schema.type);
  else if (isArray(schema.type)) for (const type of schema.type.filter(isString)) types.add(type);
  else for (const value of literalValuesOf(schema) ?? []) types.add(value === null ? 'null' : typeof value);
  return types;
}
