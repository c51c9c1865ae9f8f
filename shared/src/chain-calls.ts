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
 * The attempts grouped into calls, in the order they were written: an attempt numbered 1 starts a call, and a later
 * attempt joins the newest call of its name that it continues (calls of one chain may run side by side).
 */
export function groupIntoCalls<Attempt extends Pick<CallAttempt, 'name' | 'attempt'>>(attempts: readonly Attempt[]): Attempt[][] {
  const calls: Attempt[][] = [];
  for (const attempt of attempts) {
    const continued = calls.findLast((call) => call[0]?.name === attempt.name && call.at(-1)?.attempt === attempt.attempt - 1);
    if (attempt.attempt > 1 && continued) continued.push(attempt);
    else calls.push([attempt]);
  }
  return calls;
}

const COST_SCALE = 8;

export function chainTotals(attempts: readonly CallAttempt[]): ChainTotals {
  let cost = 0n;
  let priced = false;
  let first: number | undefined;
  let last: number | undefined;
  let open = false;
  const totals = { calls: 0, attempts: attempts.length, failedAttempts: 0, inputTokens: 0, outputTokens: 0, modelMs: 0 };
  for (const attempt of attempts) {
    if (attempt.attempt === 1) totals.calls++;
    if (attempt.status === 'error') totals.failedAttempts++;
    totals.inputTokens += attempt.inputTokens ?? 0;
    totals.outputTokens += attempt.outputTokens ?? 0;
    totals.modelMs += attempt.latencyMs ?? 0;
    if (attempt.costUsd !== null) {
      cost += toScaled(attempt.costUsd);
      priced = true;
    }
    const started = Date.parse(attempt.createdAt);
    first = first === undefined ? started : Math.min(first, started);
    if (attempt.finishedAt === null) open = true;
    else last = Math.max(last ?? 0, Date.parse(attempt.finishedAt));
  }
  return {
    ...totals,
    costUsd: priced ? fromScaled(cost) : null,
    wallMs: open || first === undefined || last === undefined ? null : last - first,
  };
}

// Costs are exact decimals with 8 places: summed as integers, so 0.1 + 0.2 stays 0.3.
function toScaled(decimal: string): bigint {
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = decimal.replace(/^[-+]/, '').split('.');
  const scaled = BigInt(whole || '0') * 10n ** BigInt(COST_SCALE) + BigInt((fraction + '0'.repeat(COST_SCALE)).slice(0, COST_SCALE) || '0');
  return negative ? -scaled : scaled;
}

function fromScaled(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(COST_SCALE + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -COST_SCALE)}.${digits.slice(-COST_SCALE)}`;
}
