import { isPostgresText, toPostgresText } from '@chainlog/shared';

// How JSON.stringify writes NUL and a lone surrogate (\ud800–\udfff); a paired surrogate it writes as it is.
const ESCAPE_POSTGRES_REFUSES = /\\u(?:0000|d[89a-f])/;

/**
 * A value as jsonb text. PostgreSQL's jsonb cannot hold the NUL character (`\\u0000`) or a lone UTF-16 surrogate
 * (`\\ud800`), which models and users can produce; each becomes U+FFFD, in strings and in object keys alike, so the
 * row is written instead of failing the call.
 */
export function toJsonb(value: unknown): string {
  const text = JSON.stringify(value);
  // A cheap test first: most values hold neither (an escaped backslash before "u0000" only costs the slow path).
  if (!ESCAPE_POSTGRES_REFUSES.test(text)) return text;
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return toPostgresText(item);
    // A model fills a tool's input freely, keys included; stringify serializes the returned copy in place of item.
    if (
      typeof item === 'object' &&
      item !== null &&
      !Array.isArray(item) &&
      Object.keys(item).some((key) => !isPostgresText(key))
    ) {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [toPostgresText(key), entry]));
    }
    return item;
  });
}
