/**
 * The provider name of answers that no model gave: deterministic stand-ins (a task's offline example, or a value
 * derived from the request) used when a provider has no key. Every row and screen showing one says so.
 */
export const OFFLINE_PROVIDER = 'offline';

/** What the web client says, in a tooltip, about an answer from the offline provider. */
export const OFFLINE_ANSWER_NOTE = 'Answered by the offline provider: a deterministic stand-in, not a model answer.';

export function isOfflineProvider(provider: string | null | undefined): boolean {
  return provider === OFFLINE_PROVIDER;
}
