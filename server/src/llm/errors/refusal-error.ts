import { LlmError, type LlmErrorOptions } from './llm-error.js';

/** The model declined to answer (OpenAI `refusal`, Anthropic `stop_reason: "refusal"`). Not retried. */
export class RefusalError extends LlmError {
  static override readonly code = 'refusal';
  constructor(
    readonly refusal: string,
    options: LlmErrorOptions = {},
  ) {
    super(`the model refused: ${refusal}`, options);
  }
  protected override details(): unknown {
    return { refusal: this.refusal };
  }
}
