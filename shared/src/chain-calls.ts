/** One log row of a chain: one attempt of one call (`inference_log`), as chains.get returns it. */
export interface CallAttempt {
  id: string;
  name: string;
  status: 'pending' | 'ok' | 'error';
  attempt: number;
  provider: string;
  model: string;
  latencyMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: string | null;
  /** The error's class for a failed attempt (ProviderError, ValidationError, InterruptedError…), else null. */
  errorClass: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What a chain's calls add up to, every attempt counted: a retried call costs and takes what all its attempts did. */
export interface ChainTotals {
  /** Calls made (`ask()`s): attempts numbered 1. */
  calls: number;
  /** Log rows: every attempt of every call. */
  attempts: number;
  /** Attempts that ended in an error, retried or not. */
  failedAttempts: number;
  inputTokens: number;
  outputTokens: number;
  /** The exact sum of every priced attempt (numeric(14, 8) in the log), or null when none was priced. */
  costUsd: string | null;
  /** Time spent in model calls, summed over attempts. */
  modelMs: number;
  /** From the first attempt's start to the last one's end (or null while one is pending). */
  wallMs: number | null;
}

/**
 * The attempts grouped into calls, in the order they were written: an attempt numbered 1 starts a call, and attempt
 * n + 1 continues the newest call of its name whose last attempt is an n that failed (calls of one chain may run
 * side by side). Only a failed attempt is retried: its retry starts after it ended, so an attempt that answered or is
 * still pending is never the one a retry continues. chain_summary's `failed` rule is this one, in SQL.
 */
export function groupIntoCalls<Attempt extends Pick<CallAttempt, 'name' | 'attempt' | 'status'>>(
  attempts: readonly Attempt[],
): Attempt[][] {
  const calls: Attempt[][] = [];
  // The newest call of each name that a retry may continue, keyed by the attempt that would: one lookup per attempt,
  // so a chain of many thousand calls is grouped in linear time.
  const continuedBy = new Map<string, Attempt[]>();
  const key = (name: string, attempt: number) => `${attempt}\u0000${name}`;
  for (const attempt of attempts) {
    const continued = attempt.attempt > 1 ? continuedBy.get(key(attempt.name, attempt.attempt)) : undefined;
    const call = continued ?? [];
    if (continued) continuedBy.delete(key(attempt.name, attempt.attempt));
    else calls.push(call);
    call.push(attempt);
    if (attempt.status === 'error') continuedBy.set(key(attempt.name, attempt.attempt + 1), call);
  }
  return calls;
}
