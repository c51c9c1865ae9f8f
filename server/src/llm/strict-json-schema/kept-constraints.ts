import type { JsonSchema } from './json-schema.js';

// Compiled once per pattern: union branches are matched on every decode. Patterns come from task schemas, which
// are defined at start-up, so the cache stays as small as the set of schemas.
const compiledPatterns = new Map<string, RegExp | undefined>();

/**
 * Whether `value` meets the constraints a strict schema node keeps on its own level (pattern, numeric bounds,
 * multipleOf, minItems/maxItems), the ones a structural match ignores. `format` is not checked: zod emits a
 * `pattern` beside every format it knows, and that pattern is checked. A pattern JavaScript cannot compile
 * constrains nothing here.
 */
export function meetsKeptConstraints(value: unknown, schema: JsonSchema): boolean {
  if (typeof value === 'string') return typeof schema.pattern !== 'string' || matchesPattern(value, schema.pattern);
  if (typeof value === 'number') return meetsNumericBounds(value, schema);
  if (Array.isArray(value)) {
    const { minItems, maxItems } = schema;
    if (typeof minItems === 'number' && value.length < minItems) return false;
    return typeof maxItems !== 'number' || value.length <= maxItems;
  }
  return true;
}

function meetsNumericBounds(value: number, schema: JsonSchema): boolean {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf } = schema;
  if (typeof minimum === 'number' && value < minimum) return false;
  if (typeof maximum === 'number' && value > maximum) return false;
  if (typeof exclusiveMinimum === 'number' && value <= exclusiveMinimum) return false;
  if (typeof exclusiveMaximum === 'number' && value >= exclusiveMaximum) return false;
  return typeof multipleOf !== 'number' || multipleOf <= 0 || isMultipleOf(value, multipleOf);
}

/** Tolerant of binary fractions: 0.3 is a multiple of 0.1 here, as it is for zod. */
function isMultipleOf(value: number, step: number): boolean {
  const quotient = value / step;
  return Math.abs(quotient - Math.round(quotient)) <= 1e-9 * Math.max(1, Math.abs(quotient));
}

function matchesPattern(value: string, pattern: string): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (!compiledPatterns.has(pattern)) {
    compiled = compilePattern(pattern);
    compiledPatterns.set(pattern, compiled);
  }
  return compiled === undefined || compiled.test(value);
}

/** Without flags, as zod's own regex sources are written; JSON schema patterns are unanchored, as `test` is. */
function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}
