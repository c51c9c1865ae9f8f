import { type ConversionContext, type Converted, asSchema } from './conversion-context.js';
import { convertField } from './convert-field.js';
import { closedObjectSchema } from './convert-object.js';
import type { ArrayDecoder, FieldDecoder, TupleDecoder } from './decode.js';
import { type JsonSchema, isArray } from './json-schema.js';
import { ANNOTATION_KEYWORDS, copyKeywords } from './schema-keywords.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

export function convertArrayType(source: JsonSchema, path: string, context: ConversionContext): Converted {
  if (isArray(source.prefixItems)) return convertTuple(source, source.prefixItems, path, context);
  const items = context.convert(asSchema(source.items, `${path}[]`), `${path}[]`);
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
