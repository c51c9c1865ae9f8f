import { UNAUTHORIZED_CLOSE_CODE } from '@chainlog/shared';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { type TokenCheck, bearerToken, tokenProblem } from '../http/access-token.js';
import { trpcError } from '../http/trpc-error-response.js';
import type { Context } from './context.js';

/** How long a WebSocket whose token was refused stays open after its client's first message, to answer its calls. */
const REFUSED_SOCKET_GRACE_MS = 250;
/** And at most, when no message comes. */
const REFUSED_SOCKET_MAX_MS = 1_000;

/**
 * Wraps the WebSocket context factory so a connection without the right token gets nothing: the token comes in
 * tRPC's connectionParams (`createWSClient({ connectionParams: { token } })`: browsers cannot set headers on a
 * WebSocket), or in an `Authorization: Bearer` header on the upgrade from clients that can.
 *
 * A refused connection is told so (an UNAUTHORIZED error with id null), each call on it is answered UNAUTHORIZED
 * (the context carries the refusal, and every procedure's first middleware throws it), and the socket is closed with
 * UNAUTHORIZED_CLOSE_CODE a moment after its client's first message (its calls come together), or after 1 s.
 * Throwing from the factory, as before, made tRPC's adapter answer only with id null, which its client ignores, and
 * close at once: the client's calls were never answered, and a client that stopped on 4401 saw its subscriptions
 * complete as if they had ended.
 */
export function requireConnectionToken(
  createContext: (options: CreateWSSContextFnOptions) => Context,
  tokenCheck: TokenCheck | undefined,
): (options: CreateWSSContextFnOptions) => Context {
  if (!tokenCheck) return createContext;
  return function createAuthenticatedContext(options) {
    const presented = options.info.connectionParams?.token ?? bearerToken(options.req.headers.authorization);
    const problem = tokenProblem(tokenCheck, presented);
    if (!problem) return createContext(options);
    const socket = options.res;
    socket.send(JSON.stringify({ id: null, error: trpcError(401, 'UNAUTHORIZED', problem) }));
    const close = () => socket.close(UNAUTHORIZED_CLOSE_CODE, 'UNAUTHORIZED');
    const latest = setTimeout(close, REFUSED_SOCKET_MAX_MS).unref();
    const soon = () => {
      clearTimeout(latest);
      setTimeout(close, REFUSED_SOCKET_GRACE_MS).unref();
    };
    // Its connectionParams came just before its calls; a token in a header comes with the upgrade, a round trip
    // before the client's first call. (Listened for after this turn: the context is made while the WebSocket handler
    // takes the one message listener tRPC adds, see websocket-handler.ts.)
    if (options.info.connectionParams) soon();
    else queueMicrotask(() => socket.once('message', soon));
    return { ...createContext(options), tokenRefusal: problem };
  };
}
