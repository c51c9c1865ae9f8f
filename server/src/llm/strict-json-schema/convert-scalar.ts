import type { JsonSchema } from './json-schema.js';
import { ANNOTATION_KEYWORDS, copyKeywords } from './schema-keywords.js';

// Strict mode accepts only these formats; zod validates every other one after decode.
const KEPT_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
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

export function convertPrimitive(source: JsonSchema, types: string[]): JsonSchema {
  const schema: JsonSchema = { type: types.length === 1 ? types[0] : types };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  copyKeywords(source, schema, LEAF_KEYWORDS);
  if (typeof source.format === 'string' && KEPT_FORMATS.has(source.format)) schema.format = source.format;
  return schema;
}
