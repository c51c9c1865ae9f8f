import { ProviderError } from './provider-error.js';

/** How much of a body that is not a provider answer goes into the log row and the error: enough to recognise a proxy's page. */
export const RESPONSE_BODY_EXCERPT_CHARS = 2_000;

/**
 * The provider answered HTTP 2xx with a body that is not its API's JSON (an HTML error page from a proxy, a cut-off
 * body). A transient fault, like a 5xx: `ask()` logs the attempt and tries again (see retry-policy.ts).
 * `ProviderError.isInstance` matches it too.
 */
export class InvalidResponseBodyError extends ProviderError {
  static override readonly code = 'invalid_response_body';
  constructor(
    providerName: string,
    options: {
      providerStatus: number;
      providerRequestId: string | null;
      contentType: string | null;
      body: string;
      cause?: unknown;
    },
  ) {
    const excerpt = options.body.slice(0, RESPONSE_BODY_EXCERPT_CHARS);
    const what =
      options.body.length === 0
        ? 'an empty body'
        : `a body that is not its API's JSON (${options.contentType ?? 'no content-type'})`;
    super(`${providerName} answered HTTP ${options.providerStatus} with ${what}`, {
      providerStatus: options.providerStatus,
      providerRequestId: options.providerRequestId,
      body: excerpt,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.contentType = options.contentType;
    this.bodyLength = options.body.length;
  }
  readonly contentType: string | null;
  /** Characters of the whole body; `body` keeps the first RESPONSE_BODY_EXCERPT_CHARS. */
  readonly bodyLength: number;
  protected override details(): unknown {
    return { contentType: this.contentType, bodyLength: this.bodyLength };
  }
}
