/** Model-written text as PostgreSQL text, which cannot hold NUL: it becomes U+FFFD, as it does in jsonb. */
export function toText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}
