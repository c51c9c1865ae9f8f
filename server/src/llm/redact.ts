import { toJsonb } from '../db/jsonb.js';

// Provider error messages can echo part of a key ("Incorrect API key provided: sk-abc***xyz").
const KEY_LIKE = /\b(sk|rk)-[A-Za-z0-9_*.-]{6,}/g;

/** Shorter "secrets" would blank ordinary words. */
const usable = (secrets: readonly string[]) => secrets.filter((secret) => secret.length >= 4);

/** Replaces configured secrets and key-shaped tokens in every string of a JSON-like value. */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  const configured = usable(secrets);
  return redactValue(value, (text) => replaceSecrets(text, configured).replace(KEY_LIKE, '[redacted]')) as T;
}

/**
 * A provider's answer as jsonb text, with any configured secret in it replaced (a provider or proxy that echoes the
 * request's headers). Key-shaped words are left alone here: in a model's answer they are the model's. Serialized once
 * when no secret is there, as almost always.
 */
export function answerJsonb(value: unknown, secrets: readonly string[]): string {
  const json = toJsonb(value);
  const configured = usable(secrets);
  const named = configured.some((secret) => json.includes(JSON.stringify(secret).slice(1, -1)));
  return named ? toJsonb(redactValue(value, (text) => replaceSecrets(text, configured))) : json;
}

function redactValue(value: unknown, redactText: (text: string) => string): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redactText));
  if (typeof value === 'object' && value !== null) {
    // Keys too: a proxy may echo the request's headers as an object's keys. Two keys redacted alike keep both values.
    const redacted: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const redactedKey = redactText(key);
      let name = redactedKey;
      for (let copy = 2; Object.hasOwn(redacted, name); copy++) name = `${redactedKey} (${copy})`;
      redacted[name] = redactValue(item, redactText);
    }
    return redacted;
  }
  return value;
}

function replaceSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) redacted = redacted.split(secret).join('[redacted]');
  return redacted;
}
