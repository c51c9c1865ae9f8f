/**
 * A value as jsonb text. PostgreSQL's jsonb cannot hold the NUL character (`\\u0000`), which models and users can
 * produce; it becomes U+FFFD so the row is written instead of failing the call.
 */
export function toJsonb(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.replaceAll('\u0000', '\uFFFD') : item));
}
