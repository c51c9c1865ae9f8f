import { LlmError } from './llm-error.js';

/** The provider did not answer within the configured timeout (after the SDK's retries). */
export class ProviderTimeoutError extends LlmError {
  static override readonly code = 'provider_timeout';
}
