/** Text as PostgreSQL can store it: neither text nor jsonb can hold NUL, which models and users can produce. */
export function toText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}
