import { InvalidJsonError, InvalidResponseBodyError, type LlmError, OutputValidationError } from './errors/index.js';
import type { ResolvedParams } from './inference-params.js';

/**
 * What `ask()` does after an attempt failed; the one place that decides which failures are tried again.
 * - `feedback`: the answer was not JSON or failed the schema; ask again with the problem fed back
 *   (up to `validationRetries` times, then `exhausted`).
 * - `retry`: a transient fault the SDK does not retry itself (a 2xx whose body is not the API's JSON); send the
 *   same request again after `delayMs` (up to `maxRetries` times, then `fail`).
 * - `fail`: throw the attempt's error. HTTP errors, timeouts and network errors land here: the SDK already retried
 *   them `maxRetries` times inside the attempt, honouring `retry-after`.
 */
export type RetryDecision =
  | { kind: 'feedback' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'exhausted' }
  | { kind: 'fail' };

/** Retries spent so far by one `ask()` call, each kind against its own budget. */
export interface RetriesUsed {
  validation: number;
  transient: number;
}

export function decideRetry(
  error: LlmError,
  used: RetriesUsed,
  params: Pick<ResolvedParams, 'maxRetries' | 'validationRetries'>,
  random: () => number = Math.random,
): RetryDecision {
  if (InvalidJsonError.isInstance(error) || OutputValidationError.isInstance(error)) {
    return used.validation < params.validationRetries ? { kind: 'feedback' } : { kind: 'exhausted' };
  }
  if (InvalidResponseBodyError.isInstance(error)) {
    return used.transient < params.maxRetries
      ? { kind: 'retry', delayMs: backoffMs(used.transient, random) }
      : { kind: 'fail' };
  }
  return { kind: 'fail' };
}

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/**
 * The SDKs' own backoff (`calculateDefaultRetryTimeoutMillis` in openai and @anthropic-ai/sdk): 0.5 s doubling per
 * retry up to 8 s, less up to 25 % jitter. `retriesBefore` counts the retries already made (0 for the first).
 */
export function backoffMs(retriesBefore: number, random: () => number = Math.random): number {
  const base = Math.min(INITIAL_DELAY_MS * 2 ** retriesBefore, MAX_DELAY_MS);
  return base * (1 - random() * 0.25);
}

/** How `ask()` waits before a retry; tests pass one that records the delay and resolves at once. */
export type RetryDelay = (delayMs: number, signal: AbortSignal) => Promise<void>;

/** Resolves after `delayMs`, or as soon as `signal` aborts (the caller then sees `signal.aborted`). */
export const waitUnlessAborted: RetryDelay = (delayMs, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delayMs);
    signal.addEventListener('abort', done, { once: true });
  });
