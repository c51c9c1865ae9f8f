import { describeNonPostgresText } from '@chainlog/shared';

/**
 * The first string or object key in a parsed JSON input that PostgreSQL could not store (NUL, a lone UTF-16
 * surrogate: JSON brings either in as an escape), as a sentence naming where it is; undefined when there is none.
 */
export function describeNonPostgresInput(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') {
    const problem = describeNonPostgresText(value);
    return problem && `the input${path ? `'s ${path}` : ''} must not contain ${problem}: PostgreSQL cannot store it`;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = describeNonPostgresInput(item, `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = describeNonPostgresText(key);
    if (keyProblem)
      return `a key of the input${path ? `'s ${path}` : ''} must not contain ${keyProblem}: PostgreSQL cannot store it`;
    const found = describeNonPostgresInput(item, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}
