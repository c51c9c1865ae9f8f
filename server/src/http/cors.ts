import type { OutgoingHttpHeaders } from 'node:http';
import { parseHostName } from './host-names.js';

// What a browser may send cross-origin to /trpc: tRPC's own headers, the token, and the usual client tag.
const ALLOWED_HEADERS = 'content-type, authorization, trpc-accept, trpc-batch-mode, x-trpc-source';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
// Chromium caps a cached preflight at 2 hours; 10 minutes lets a change of the allow-list reach browsers soon.
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The origin of a configured allow-list entry (`https://app.example.com`), as browsers write the Origin header:
 * lower case, no default port, no trailing slash. Undefined when the entry is not an http(s) origin.
 */
export function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    const bare =
      url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    return (url.protocol === 'http:' || url.protocol === 'https:') && bare ? url.origin : undefined;
  } catch {
    // Not a URL: the caller refuses it.
    return undefined;
  }
}

export interface OriginPolicy {
  /**
   * Whether a request with this Origin header may go on: no Origin (curl, Node clients), the page's own origin
   * (the Origin names the host the request was sent to), or an allowed origin.
   */
  allows(origin: string | undefined, hostHeader: string | undefined): boolean;
  /** Whether the Origin is one of CHAINLOG_ALLOWED_ORIGINS (those get CORS headers). */
  isListed(origin: string): boolean;
  /** The headers of a response to an allowed origin. */
  responseHeaders(origin: string): OutgoingHttpHeaders;
  /** The headers of the answer to a preflight from an allowed origin. */
  preflightHeaders(origin: string): OutgoingHttpHeaders;
}

/** The CORS and WebSocket Origin rule for CHAINLOG_ALLOWED_ORIGINS. */
export function createOriginPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const listed = new Set(allowedOrigins);
  const isListed = (origin: string) => listed.has(origin);
  return {
    isListed,
    allows(origin, hostHeader) {
      if (origin === undefined) return true;
      return isListed(origin) || isSameOrigin(origin, hostHeader);
    },
    responseHeaders(origin) {
      return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'Origin' };
    },
    preflightHeaders(origin) {
      return {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        vary: 'Origin',
      };
    },
  };
}

/**
 * A page's requests to its own server carry an Origin whose host is the Host they were sent to. The scheme is not
 * compared: behind a TLS proxy the page is https while this server sees http.
 */
function isSameOrigin(origin: string, hostHeader: string | undefined): boolean {
  const parsedOrigin = parseOrigin(origin);
  if (parsedOrigin === undefined || hostHeader === undefined || parseHostName(hostHeader) === undefined) return false;
  const originUrl = new URL(parsedOrigin);
  try {
    return new URL(`${originUrl.protocol}//${hostHeader}`).host === originUrl.host;
  } catch {
    // parseHostName accepted it, so this does not happen; a Host that cannot be parsed is not our origin.
    return false;
  }
}
