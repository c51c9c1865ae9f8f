import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AccessMode } from '@chainlog/shared';
import type { VerifyClientCallbackAsync } from 'ws';
import type { Env } from '../env.js';
import { log } from '../log.js';
import { type TokenCheck, bearerToken, createTokenCheck, tokenProblem } from './access-token.js';
import { createOriginPolicy } from './cors.js';
import { createHostCheck } from './host-check.js';
import { parseHostName } from './host-names.js';
import { answerTrpcError, trpcErrorBody } from './trpc-error-response.js';

const accessLog = log.withTag('access');

/** Who may use the API: see README "Access". */
export interface AccessOptions {
  /** The `HOST` the server listens on: its name is accepted in the Host header. */
  host: string;
  /** CHAINLOG_TOKEN: when set, every /trpc request and WebSocket must present it. */
  token?: string | undefined;
  /** CHAINLOG_ALLOWED_HOSTS: more names accepted in the Host header (host names, no port). */
  allowedHosts: readonly string[];
  /** CHAINLOG_ALLOWED_ORIGINS: web origins allowed to call the API from a browser (CORS and WebSocket Origin). */
  allowedOrigins: readonly string[];
}

/** Loopback only, no token, no other origin: what a server gets when nobody configured access. */
export const LOOPBACK_ACCESS: AccessOptions = { host: '127.0.0.1', allowedHosts: [], allowedOrigins: [] };

/** The access options of a deployment. */
export function accessOptionsFromEnv(env: Env): AccessOptions {
  return {
    host: env.HOST,
    token: env.CHAINLOG_TOKEN,
    allowedHosts: env.CHAINLOG_ALLOWED_HOSTS,
    allowedOrigins: env.CHAINLOG_ALLOWED_ORIGINS,
  };
}

export interface AccessControl {
  /** What /healthz says, so the web app knows whether to ask for a token. */
  mode: AccessMode;
  /** Checks WebSocket tokens (connectionParams); undefined when no token is asked. */
  tokenCheck: TokenCheck | undefined;
  /** For /healthz, open to every Host and origin (probes address it by IP): CORS headers for allowed origins. */
  addOpenHeaders(request: IncomingMessage, response: ServerResponse): void;
  /**
   * Host, then (for /trpc) Origin, preflight and token. Returns false when it answered the request itself (a
   * refusal or a preflight), true when the request goes on.
   */
  admit(request: IncomingMessage, response: ServerResponse, pathname: string): boolean;
  /**
   * Whether the request names an allowed Host and, when a token is set, carries it: what /healthz asks before it
   * shows operational details (instances' host names and pids) that its open answer leaves out.
   */
  isTrusted(request: IncomingMessage): boolean;
  /** The WebSocket upgrade: Host and Origin (the token comes in connectionParams, checked by the tRPC context). */
  verifyUpgrade: VerifyClientCallbackAsync;
}

/** GET /export/…: the API's data as files, behind the same Origin and token checks as /trpc. */
export function isExportPath(pathname: string): boolean {
  return pathname === '/export' || pathname.startsWith('/export/');
}

/** The door in front of /trpc, /export, the WebSocket and the client files. */
export function createAccessControl(options: AccessOptions): AccessControl {
  const hostAllowed = createHostCheck(options.host, options.allowedHosts);
  const origins = createOriginPolicy(options.allowedOrigins);
  const tokenCheck = options.token === undefined ? undefined : createTokenCheck(options.token);

  function listedOrigin(request: IncomingMessage): string | undefined {
    const { origin } = request.headers;
    return origin !== undefined && origins.isListed(origin) ? origin : undefined;
  }

  return {
    mode: tokenCheck ? 'token' : 'none',
    tokenCheck,
    addOpenHeaders(request, response) {
      const origin = listedOrigin(request);
      if (origin) setHeaders(response, origins.responseHeaders(origin));
    },
    admit(request, response, pathname) {
      const { host, origin } = request.headers;
      if (!hostAllowed(host)) {
        accessLog.debug(`refused ${request.method} ${pathname}: Host ${host ?? '(none)'} is not allowed`);
        answerTrpcError(response, 421, HOST_REFUSED, hostRefusal(host));
        return false;
      }
      if (pathname !== '/trpc' && !pathname.startsWith('/trpc/') && !isExportPath(pathname)) return true;
      if (!origins.allows(origin, host)) {
        accessLog.debug(`refused ${request.method} ${pathname}: Origin ${origin} is not allowed`);
        answerTrpcError(response, 403, 'FORBIDDEN', originRefusal(origin));
        return false;
      }
      const listed = listedOrigin(request);
      if (request.method === 'OPTIONS') {
        const headers = listed ? origins.preflightHeaders(listed) : { allow: 'GET, POST, OPTIONS' };
        response.writeHead(204, headers).end();
        return false;
      }
      if (listed) setHeaders(response, origins.responseHeaders(listed));
      const problem = tokenCheck && tokenProblem(tokenCheck, bearerToken(request.headers.authorization));
      if (problem) {
        accessLog.debug(`refused ${request.method} ${pathname} from ${request.socket.remoteAddress}: ${problem}`);
        answerUnauthorized(response, problem);
        return false;
      }
      return true;
    },
    isTrusted(request) {
      return (
        hostAllowed(request.headers.host) && (!tokenCheck || tokenCheck(bearerToken(request.headers.authorization)))
      );
    },
    verifyUpgrade({ req }, callback) {
      const { host, origin } = req.headers;
      if (!hostAllowed(host)) {
        accessLog.debug(`refused a WebSocket: Host ${host ?? '(none)'} is not allowed`);
        return callback(false, 421, trpcErrorBody(421, HOST_REFUSED, hostRefusal(host)), {
          'Content-Type': 'application/json',
        });
      }
      if (!origins.allows(origin, host)) {
        accessLog.debug(`refused a WebSocket: Origin ${origin} is not allowed`);
        return callback(false, 403, trpcErrorBody(403, 'FORBIDDEN', originRefusal(origin)), {
          'Content-Type': 'application/json',
        });
      }
      callback(true);
    },
  };
}

// tRPC has no code of its own for 421 (the request named a host this server is not): the request is at fault.
const HOST_REFUSED = 'BAD_REQUEST' as const;

function hostRefusal(host: string | undefined): string {
  // The name alone: CHAINLOG_ALLOWED_HOSTS takes no port (and refuses one at start-up).
  const name = parseHostName(host ?? '')?.name;
  const what = name === undefined ? 'the name' : JSON.stringify(name);
  return `this server does not answer to Host ${JSON.stringify(host ?? '')}: add ${what} to CHAINLOG_ALLOWED_HOSTS`;
}

function originRefusal(origin: string | undefined): string {
  return `requests from origin ${JSON.stringify(origin ?? '')} are not allowed: add it to CHAINLOG_ALLOWED_ORIGINS`;
}

function setHeaders(response: ServerResponse, headers: OutgoingHttpHeaders): void {
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) response.setHeader(name, value);
}

/**
 * 401 with the body tRPC gives an UNAUTHORIZED error (a typed client reads `error.data.code`), before tRPC reads the
 * request: a caller without the token gets no body parsed and no procedure looked up. tRPC clients take one error
 * object as the answer to every call of a batch.
 */
function answerUnauthorized(response: ServerResponse, message: string): void {
  answerTrpcError(response, 401, 'UNAUTHORIZED', message, {
    headers: { 'www-authenticate': 'Bearer realm="chainlog"' },
  });
}
