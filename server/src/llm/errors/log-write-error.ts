import { LlmError, type LlmErrorOptions } from './llm-error.js';
import { errorMessage } from '../../error-message.js';

/** The attempt's inference_log row could not be written: the call fails rather than return an unlogged result. */
export class LogWriteError extends LlmError {
  static override readonly code = 'log_write_failed';
  /** Why the attempt itself failed, when it did (the provider's error, say), besides its row not being written. */
  readonly attemptError: LlmError | undefined;

  constructor(logId: string, options: LlmErrorOptions & { attemptError?: LlmError | undefined } = {}) {
    super(`could not write inference log row ${logId}; the result was not returned because it would be unlogged`, {
      ...options,
      logId,
    });
    this.attemptError = options.attemptError;
  }

  protected override details(): unknown {
    return {
      reason: errorMessage(this.cause),
      ...(this.attemptError ? { attemptError: this.attemptError.toRecord() } : {}),
    };
  }
}
