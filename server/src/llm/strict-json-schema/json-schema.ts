/** A JSON schema node, as zod emits it and as providers receive it. */
export type JsonSchema = { [key: string]: unknown };

export const DEFS_POINTER = '#/$defs/';
export const ROOT_POINTER = '#';

/** The name a `#/$defs/<name>` pointer names, unescaped; undefined for any other pointer. */
export function defNameOf(ref: string): string | undefined {
  if (!ref.startsWith(DEFS_POINTER)) return undefined;
  const escaped = ref.slice(DEFS_POINTER.length);
  return escaped.includes('/') ? undefined : escaped.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function escapePointer(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The values a `const` or `enum` allows; undefined when the schema has neither. */
export function literalValuesOf(schema: JsonSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  return isArray(schema.enum) ? schema.enum : undefined;
}

/** Plain assignment of `__proto__` would set the prototype instead of adding a key. */
export function setOwnProperty<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function isJsonSchema(value: unknown): value is JsonSchema {
  return isRecord(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !isArray(value);
}

export function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}
