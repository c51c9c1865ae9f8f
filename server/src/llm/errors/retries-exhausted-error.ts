import { LlmError } from './llm-error.js';

/** Every attempt's output failed to parse or validate; `attempts` holds each attempt's error, in order. */
export class RetriesExhaustedError extends LlmError {
  static override readonly code = 'retries_exhausted';
  constructor(
    readonly taskName: string,
    readonly attempts: readonly LlmError[],
  ) {
    const last = attempts.at(-1);
    super(
      `task "${taskName}" gave no valid output in ${attempts.length} attempt(s); last: ${last?.message ?? 'none'}`,
      {
        cause: last,
        logId: last?.logId,
      },
    );
  }
  protected override details(): unknown {
    return { attempts: this.attempts.map((attempt) => attempt.toRecord()) };
  }
}
