import { toText } from './text.js';

const NUL = '\u0000';

/**
 * A value as jsonb text. PostgreSQL's jsonb cannot hold the NUL character (`\\u0000`), which models and users can
 * produce; it becomes U+FFFD, in strings and in object keys alike, so the row is written instead of failing the call.
 */
export function toJsonb(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return toText(item);
    // A model fills a tool's input freely, keys included; stringify serializes the returned copy in place of item.
    if (typeof item === 'object' && item !== null && !Array.isArray(item) && Object.keys(item).some((key) => key.includes(NUL))) {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [toText(key), entry]));
    }
    return item;
  });
}
