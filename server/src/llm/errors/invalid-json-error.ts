import { LlmError, type LlmErrorOptions } from './llm-error.js';

/** The model's answer is not JSON. Retried with the parse error fed back. */
export class InvalidJsonError extends LlmError {
  static override readonly code = 'invalid_json';
  constructor(
    readonly text: string,
    options: LlmErrorOptions = {},
  ) {
    super('the model answered with text that is not valid JSON', options);
  }
  protected override details(): unknown {
    return { text: this.text.slice(0, 2_000) };
  }
}
