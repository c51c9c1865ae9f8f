import { LlmError, type LlmErrorOptions } from './llm-error.js';

/** The provider answered with an HTTP error (after the SDK's own retries), or could not be reached. */
export class ProviderError extends LlmError {
  static override readonly code: string = 'provider_error';
  constructor(message: string, options: LlmErrorOptions & { providerRequestId?: string | null; body?: unknown } = {}) {
    super(message, options);
    this.providerRequestId = options.providerRequestId ?? null;
    this.body = options.body;
  }
  readonly providerRequestId: string | null;
  /** The provider's error body, as sent. */
  readonly body: unknown;
}
