// Provider error messages can echo part of a key ("Incorrect API key provided: sk-abc***xyz").
const KEY_LIKE = /\b(sk|rk)-[A-Za-z0-9_*.-]{6,}/g;

/** Replaces configured secrets and key-shaped tokens in every string of a JSON-like value. */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  return redactValue(
    value,
    secrets.filter((secret) => secret.length >= 4),
  ) as T;
}

function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, secrets)]));
  }
  return value;
}

function redactText(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) redacted = redacted.split(secret).join('[redacted]');
  return redacted.replace(KEY_LIKE, '[redacted]');
}
