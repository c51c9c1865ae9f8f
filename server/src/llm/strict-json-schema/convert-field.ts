import { type ConversionContext, resolveSourceRef } from './conversion-context.js';
import type { FieldDecoder } from './decode.js';
import { type JsonSchema, isArray, isJsonSchema } from './json-schema.js';
import { hasAnnotations } from './schema-keywords.js';

export interface ConvertedField extends FieldDecoder {
  schema: JsonSchema;
}

/** A property or tuple element; an optional one that rejects null becomes nullable, null meaning "absent". */
export function convertField(
  key: string,
  source: JsonSchema,
  optional: boolean,
  path: string,
  context: ConversionContext,
): ConvertedField {
  const converted = context.convert(source, path);
  const nullMeansAbsent = optional && !acceptsNull(source, context, new Set());
  return {
    key,
    schema: nullMeansAbsent ? withNull(converted.schema) : converted.schema,
    decoder: converted.decoder,
    nullMeansAbsent,
  };
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
