/** One log row of a chain: one attempt of one call (`inference_log`), as chains.get returns it. */
export interface CallAttempt {
  id: string;
  name: string;
  status: 'pending' | 'ok' | 'error';
  attempt: number;
  /** The call it is an attempt of: the id of the call's first attempt (`inference_log.call_id`). */
  callId: string;
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
  /** Calls made (`ask()`s): the attempts that started one. */
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
  /** From the first attempt's start to the last one's end (to the last start while one is pending); null without calls. */
  wallMs: number | null;
}

/**
 * The attempts grouped into calls (by `callId`), each call where its first attempt is in the log, its attempts by
 * number (its last is the one that counts). A retry starts after the attempt it follows ended, so out of order
 * numbers need rows written in one millisecond and read at that precision.
 */
export function groupIntoCalls<Attempt extends Pick<CallAttempt, 'callId' | 'attempt'>>(
  attempts: readonly Attempt[],
): Attempt[][] {
  const calls = new Map<string, Attempt[]>();
  for (const attempt of attempts) {
    const call = calls.get(attempt.callId);
    if (!call) calls.set(attempt.callId, [attempt]);
    else if ((call.at(-1)?.attempt ?? 0) <= attempt.attempt) call.push(attempt);
    else call.splice(call.findLastIndex((earlier) => earlier.attempt <= attempt.attempt) + 1, 0, attempt);
  }
  return [...calls.values()];
}
