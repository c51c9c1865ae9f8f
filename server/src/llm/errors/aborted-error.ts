import { LlmError } from './llm-error.js';

/** The caller's AbortSignal fired before the call finished. */
export class AbortedError extends LlmError {
  static override readonly code = 'aborted';
}
