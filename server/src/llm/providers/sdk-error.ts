import { AbortedError, type LlmError, ProviderError, ProviderTimeoutError } from '../errors/index.js';

/** The error classes both official SDKs export under the same names. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & {
    status: number | undefined;
    error: unknown;
    requestID?: string | null | undefined;
  };
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIUserAbortError: abstract new (...args: never[]) => Error;
}

/** Maps what an SDK threw (after its own retries) to our typed errors. */
export function translateSdkError(error: unknown, sdk: SdkErrorClasses, providerName: string, signal?: AbortSignal): LlmError {
  if (error instanceof sdk.APIUserAbortError || signal?.aborted) {
    return new AbortedError(`the call to ${providerName} was aborted`, { cause: error });
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new ProviderTimeoutError(`${providerName} did not answer in time`, { cause: error });
  }
  if (error instanceof sdk.APIError) {
    const status = error.status;
    return new ProviderError(
      status === undefined ? `could not reach ${providerName}: ${error.message}` : `${providerName} answered HTTP ${status}: ${error.message}`,
      {
        cause: error,
        ...(status === undefined ? {} : { providerStatus: status }),
        providerRequestId: error.requestID ?? null,
        body: error.error,
      },
    );
  }
  return new ProviderError(`${providerName} call failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
