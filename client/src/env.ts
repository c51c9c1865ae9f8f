/**
 * The only module that reads the build-time environment. `VITE_API_URL` is the tRPC endpoint (absolute, or a path
 * on this origin); unset, the API is this origin's `/trpc`, which is how the server serves the bundle.
 */
const DEFAULT_API_PATH = '/trpc';

function readApiUrl(): URL {
  const configured = import.meta.env.VITE_API_URL;
  const value = typeof configured === 'string' && configured.trim() !== '' ? configured.trim() : DEFAULT_API_PATH;
  return new URL(value, window.location.href);
}

const apiUrl = readApiUrl();

/** The tRPC HTTP endpoint (queries and mutations). */
export const API_HTTP_URL = apiUrl.href.replace(/\/$/, '');

/** The tRPC WebSocket endpoint (subscriptions): the same host and path over ws:// or wss://. */
export const API_WS_URL = API_HTTP_URL.replace(/^http(s?):/, (_match, secure: string) => `ws${secure}:`);

/** GET /healthz beside the tRPC endpoint (`…/trpc` → `…/healthz`): says, among other things, whether a token is needed. */
export const API_HEALTH_URL = new URL('healthz', API_HTTP_URL).href;

/** GET /export/logs and /export/chains beside the tRPC endpoint (`…/trpc` → `…/export/logs`). */
export const API_EXPORT_URL = new URL('export/', API_HTTP_URL).href;
