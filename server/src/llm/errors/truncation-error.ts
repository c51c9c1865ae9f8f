import { LlmError } from './llm-error.js';

/** The answer was cut off by the token limit (`finish_reason: "length"`, `stop_reason: "max_tokens"`). Not retried: raise `maxTokens`. */
export class TruncationError extends LlmError {
  static override readonly code = 'truncated';
}
