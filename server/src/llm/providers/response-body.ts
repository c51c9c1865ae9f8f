import { InvalidResponseBodyError } from '../errors/index.js';

/** The `fetch` both SDKs accept in their client options. */
type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What `response.json()` throws, under fetchKeepingUnparsableBodies, for a 2xx body that claims JSON but is not. */
export class UnparsableBodyError extends SyntaxError {
  override name = 'UnparsableBodyError';
  constructor(
    readonly status: number,
    readonly contentType: string | null,
    readonly requestId: string | null,
    readonly body: string,
    options: { cause: unknown },
  ) {
    super(`a ${status} body that claims JSON is not JSON`, options);
  }
}

/**
 * A `fetch` for the SDK clients that keeps the body of a 2xx which claims JSON but is not.
 * Both SDKs (openai 6.49, @anthropic-ai/sdk 1.14, `internal/parse.js`) return a 2xx body whose content-type is not
 * JSON as a string, but call `response.json()` on one that claims JSON, which throws a bare SyntaxError that keeps
 * neither the body nor the status nor the request id, and is not retried. Here `json()` reads the text once and
 * parses it once, as the original does, and throws UnparsableBodyError with all of them instead; translateSdkError
 * turns that into InvalidResponseBodyError.
 */
export function fetchKeepingUnparsableBodies(fetchImplementation: Fetch = globalThis.fetch): Fetch {
  return async function fetchKeepingUnparsableBodies(input, init) {
    const response = await fetchImplementation(input, init);
    if (!response.ok) return response;
    const readText = response.text.bind(response);
    // Only `json` changes, on this one response: no copy of the body, no second parse on the way to the SDK.
    Object.defineProperty(response, 'json', {
      value: async function json(): Promise<unknown> {
        const text = await readText();
        try {
          return JSON.parse(text);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          const headers = response.headers;
          const requestId = headers.get('x-request-id') ?? headers.get('request-id');
          throw new UnparsableBodyError(response.status, headers.get('content-type'), requestId, text, {
            cause: error,
          });
        }
      },
    });
    return response;
  };
}

/**
 * The error for a 2xx whose parsed body is not an object with the fields the API always sends (`required`): text
 * (an HTML page from a proxy), an empty body, or JSON of another shape. Undefined when the body looks right.
 */
export function invalidResponseBody(
  providerName: string,
  response: Response,
  data: unknown,
  required: readonly string[],
  providerRequestId: string | null,
): InvalidResponseBodyError | undefined {
  if (isRecord(data) && required.every((field) => field in data)) return undefined;
  return new InvalidResponseBodyError(providerName, {
    providerStatus: response.status,
    providerRequestId,
    contentType: response.headers.get('content-type'),
    body: typeof data === 'string' ? data : (JSON.stringify(data) ?? ''),
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
