import { type ConversionContext, type Converted, asSchema, passThrough } from './conversion-context.js';
import type { UnionBranch, UnionDecoder } from './decode.js';
import type { JsonSchema } from './json-schema.js';
import { ANNOTATION_KEYWORDS, copyKeywords, hasAnnotations } from './schema-keywords.js';
import { findDiscriminator } from './union-match.js';

export function convertUnion(
  source: JsonSchema,
  sourceBranches: unknown[],
  path: string,
  context: ConversionContext,
): Converted {
  const branches: UnionBranch[] = [];
  for (const [index, branch] of sourceBranches.entries()) {
    const converted = context.convert(asSchema(branch, `${path}|${index}`), path);
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
export function splitTypeArray(source: JsonSchema, types: string[], context: ConversionContext): Converted {
  const schema: JsonSchema = { anyOf: types.map((type) => ({ type })) };
  copyKeywords(source, schema, ANNOTATION_KEYWORDS);
  return { schema, decoder: passThrough(context) };
}
