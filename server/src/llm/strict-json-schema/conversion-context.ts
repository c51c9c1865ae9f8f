import type { Decoder, PassThroughDecoder, RefDecoder } from './decode.js';
import { type JsonSchema, ROOT_POINTER, defNameOf, isJsonSchema } from './json-schema.js';
import type { StrictDocument } from './union-match.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

/** One converted node: its strict schema and the decoder that reads the model's value for it back. */
export interface Converted {
  schema: JsonSchema;
  decoder: Decoder;
}

/** What one conversion shares across nodes: the zod-emitted source, the strict document and every decoder made. */
export interface ConversionContext {
  sourceRoot: JsonSchema;
  sourceDefs: Record<string, JsonSchema>;
  document: StrictDocument;
  decoders: Decoder[];
  refsToDefs: { name: string; decoder: RefDecoder }[];
  refsToRoot: { node: JsonSchema; decoder: RefDecoder }[];
  referencedDefs: Set<string>;
  /** Converts a nested node; the node-kind converters recurse through it so they need not import the walker. */
  convert(source: JsonSchema, path: string): Converted;
}

export function passThrough(context: ConversionContext): PassThroughDecoder {
  const decoder: PassThroughDecoder = { kind: 'pass', changesValue: false };
  context.decoders.push(decoder);
  return decoder;
}

export function asSchema(value: unknown, path: string): JsonSchema {
  if (isJsonSchema(value)) return value;
  throw new UnsupportedSchemaError(path, `expected a schema object, got ${JSON.stringify(value)}`);
}

/** The zod-emitted node a `$ref` of the source schema points at; undefined for a pointer outside it. */
export function resolveSourceRef(ref: string, context: ConversionContext): JsonSchema | undefined {
  if (ref === ROOT_POINTER) return context.sourceRoot;
  const name = defNameOf(ref);
  return name === undefined ? undefined : context.sourceDefs[name];
}
