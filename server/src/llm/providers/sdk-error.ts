import {
  AbortedError,
  InvalidResponseBodyError,
  type LlmError,
  ProviderError,
  ProviderTimeoutError,
} from '../errors/index.js';
import { redactSecrets } from '../redact.js';
import { errorMessage } from '../../error-message.js';
import { UnparsableBodyError } from './response-body.js';

/** The error classes both official SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: abstract new (
    ...args: never[]
  ) => Error & {
    status: number | undefined;
    error: unknown;
    requestID?: string | null | undefined;
  };
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIUserAbortError: abstract new (...args: never[]) => Error;
}

/**
 * Maps what an SDK threw (after its own retries) to our typed errors. An HTTP error's message and body are
 * redacted and the SDK error is not kept as `cause`: providers echo keys back ("Incorrect API key provided: …").
 */
export function translateSdkError(
  error: unknown,
  sdk: SdkErrorClasses,
  provider: { name: string; secrets: readonly string[] },
  signal?: AbortSignal,
): LlmError {
  const providerName = provider.name;
  if (error instanceof sdk.APIUserAbortError || signal?.aborted) {
    return new AbortedError(`the call to ${providerName} was aborted`, { cause: error });
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new ProviderTimeoutError(`${providerName} did not answer in time`, { cause: error });
  }
  if (error instanceof sdk.APIError) {
    const status = error.status;
    const message = redactSecrets(error.message, provider.secrets);
    return new ProviderError(
      status === undefined
        ? `could not reach ${providerName}: ${message}`
        : `${providerName} answered HTTP ${status}: ${message}`,
      {
        ...(status === undefined ? {} : { providerStatus: status }),
        providerRequestId: error.requestID ?? null,
        body: redactSecrets(error.error, provider.secrets),
      },
    );
  }
  if (error instanceof UnparsableBodyError) {
    return new InvalidResponseBodyError(providerName, {
      providerStatus: error.status,
      providerRequestId: error.requestId,
      contentType: error.contentType,
      body: redactSecrets(error.body, provider.secrets),
    });
  }
  const message = redactSecrets(errorMessage(error), provider.secrets);
  return new ProviderError(`${providerName} call failed: ${message}`);
}
