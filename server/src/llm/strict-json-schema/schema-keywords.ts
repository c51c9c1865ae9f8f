import type { JsonSchema } from './json-schema.js';

export const ANNOTATION_KEYWORDS = ['description', 'title'] as const;

export function hasAnnotations(schema: JsonSchema): boolean {
  return ANNOTATION_KEYWORDS.some((keyword) => schema[keyword] !== undefined);
}

export function copyKeywords(source: JsonSchema, target: JsonSchema, keywords: readonly string[]): void {
  for (const keyword of keywords) if (source[keyword] !== undefined) target[keyword] = source[keyword];
}
