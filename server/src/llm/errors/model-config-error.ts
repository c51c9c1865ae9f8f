import { LlmError } from './llm-error.js';

/** A model spec names no known provider, or is malformed. */
export class ModelConfigError extends LlmError {
  static override readonly code = 'model_config';
}
