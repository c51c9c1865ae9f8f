import { LlmError, type LlmErrorOptions } from './llm-error.js';

/** The attempt's inference_log row could not be written: the call fails rather than return an unlogged result. */
export class LogWriteError extends LlmError {
  static override readonly code = 'log_write_failed';
  constructor(logId: string, options: LlmErrorOptions = {}) {
    super(`could not write inference log row ${logId}; the result was not returned because it would be unlogged`, { ...options, logId });
  }
}
