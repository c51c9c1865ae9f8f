import { InvalidResponseBodyError } from '../errors/index.js';

/** The `fetch` both SDKs accept in their client options. */
type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

// Set on a response whose JSON content-type we replaced, so the error can still say what the provider declared.
const DECLARED_CONTENT_TYPE = 'x-chainlog-declared-content-type';

/**
 * A `fetch` for the SDK clients under which every 2xx body that is not JSON reaches the SDK as text.
 * Both SDKs (openai 6.49, @anthropic-ai/sdk 1.14, `internal/parse.js`) return a 2xx body whose content-type is not
 * JSON as a string, but call `response.json()` on one that claims JSON, which throws a bare SyntaxError that keeps
 * neither the body nor the status nor the request id, and is not retried. Handing such a body over as text/plain
 * makes both cases one: the adapter receives a string and throws InvalidResponseBodyError with the body.
 */
export function fetchWithBrokenJsonAsText(fetchImplementation: Fetch = globalThis.fetch): Fetch {
  return async function fetchWithBrokenJsonAsText(input, init) {
    const response = await fetchImplementation(input, init);
    const contentType = response.headers.get('content-type');
    if (!response.ok || !isJsonMediaType(contentType)) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    // The text is already decoded; the SDK must not trust the wire's length or encoding for it.
    headers.delete('content-length');
    headers.delete('content-encoding');
    if (!parsesAsJson(text)) {
      headers.set('content-type', 'text/plain; charset=utf-8');
      headers.set(DECLARED_CONTENT_TYPE, contentType ?? '');
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
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
    contentType: response.headers.get(DECLARED_CONTENT_TYPE) ?? response.headers.get('content-type'),
    body: typeof data === 'string' ? data : (JSON.stringify(data) ?? ''),
  });
}

function isJsonMediaType(contentType: string | null): boolean {
  // The SDKs' own test: `mediaType.includes('application/json') || mediaType.endsWith('+json')`.
  const mediaType = contentType?.split(';')[0]?.trim();
  return mediaType !== undefined && (mediaType.includes('application/json') || mediaType.endsWith('+json'));
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (error) {
    if (error instanceof SyntaxError) return false;
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
