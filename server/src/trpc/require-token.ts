import { UNAUTHORIZED_CLOSE_CODE } from '@chainlog/shared';
import { TRPCError } from '@trpc/server';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { type TokenCheck, bearerToken, tokenProblem } from '../http/access-token.js';

/**
 * Wraps the WebSocket context factory so a connection without the right token gets nothing: the token comes in
 * tRPC's connectionParams (`createWSClient({ connectionParams: { token } })`: browsers cannot set headers on a
 * WebSocket), or in an `Authorization: Bearer` header on the upgrade from clients that can.
 *
 * When the factory throws, tRPC's ws adapter sends the error (id null) and closes the socket without a code, which
 * its client takes for a network drop and retries forever. So the socket is closed here with
 * UNAUTHORIZED_CLOSE_CODE, on the next turn: after the adapter has sent the error (it does so as soon as the
 * factory's promise settles), before its own plain close.
 */
export function requireConnectionToken<Context>(
  createContext: (options: CreateWSSContextFnOptions) => Context,
  tokenCheck: TokenCheck | undefined,
): (options: CreateWSSContextFnOptions) => Context {
  if (!tokenCheck) return createContext;
  return function createAuthenticatedContext(options) {
    const presented = options.info.connectionParams?.token ?? bearerToken(options.req.headers.authorization);
    const problem = tokenProblem(tokenCheck, presented);
    if (problem) {
      setImmediate(() => options.res.close(UNAUTHORIZED_CLOSE_CODE, 'UNAUTHORIZED'));
      throw new TRPCError({ code: 'UNAUTHORIZED', message: problem });
    }
    return createContext(options);
  };
}
