import { type ConversionContext, type Converted, asSchema } from './conversion-context.js';
import { type ConvertedField, convertField } from './convert-field.js';
import type { EntriesDecoder, FieldDecoder, ObjectDecoder } from './decode.js';
import { type JsonSchema, isArray, isJsonSchema, isString, literalValuesOf, setOwnProperty } from './json-schema.js';
import { assertStringKeys } from './record-keys.js';
import { ANNOTATION_KEYWORDS, copyKeywords } from './schema-keywords.js';

/** An object with fixed properties, a record keyed by an enum or literals, or a record with free keys. */
export function convertObjectType(source: JsonSchema, path: string, context: ConversionContext): Converted {
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

export function closedObjectSchema(properties: JsonSchema): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

export function isClosedObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.additionalProperties === false;
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
  const keyPath = `${path}{key}`;
  if (propertyNames !== undefined) assertStringKeys(propertyNames, keyPath, context);
  const key = propertyNames === undefined ? { type: 'string' } : context.convert(propertyNames, keyPath).schema;
  const value = context.convert(valueSource, `${path}{}`);
  const decoder: EntriesDecoder = { kind: 'entries', value: value.decoder, changesValue: true };
  context.decoders.push(decoder);
  const schema: JsonSchema = { type: 'array', items: closedObjectSchema({ key, value: value.schema }) };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder };
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
  return values?.every(isString) ? values : undefined;
}
