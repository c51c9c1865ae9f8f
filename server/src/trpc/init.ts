import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError, prettifyError } from 'zod';
import { trpcError } from '../http/trpc-error-response.js';
import type { Context } from './context.js';
import { retryAfterSecondsOf } from './retry-after.js';

const t = initTRPC.context<Context>().create({
  // Errors reach browsers and other people's code: they carry a message and a code, never our stack.
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    // On a WebSocket whose token was refused every call is UNAUTHORIZED, a missing procedure's too: its NOT_FOUND
    // would tell a caller without the token which procedures exist.
    if (ctx?.tokenRefusal) {
      const refused = trpcError(401, 'UNAUTHORIZED', ctx.tokenRefusal);
      return { ...shape, ...refused, data: { ...shape.data, ...refused.data } };
    }
    // Invalid input arrives as BAD_REQUEST with zod's issues, so clients can point at the exact field.
    const zodError = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? error.cause : null;
    // An unexpected error's message may quote SQL or a driver: people get a pointer to the log instead.
    const message =
      error.code === 'INTERNAL_SERVER_ERROR'
        ? 'internal error (see the server log)'
        : zodError
          ? prettifyError(zodError)
          : error.code === 'PAYLOAD_TOO_LARGE' && shape.message === 'PAYLOAD_TOO_LARGE'
            ? // tRPC's own maxBodySize, on a body sent without a length (chunked): its message is only the code.
              'the request body is over the limit (CHAINLOG_MAX_BODY_BYTES)'
            : shape.message;
    // A rate-limited call says when it may succeed (over HTTP the `retry-after` header says it too).
    const retryAfterSeconds = retryAfterSecondsOf(error);
    const retryAfter: { retryAfterSeconds?: number } = retryAfterSeconds === null ? {} : { retryAfterSeconds };
    return { ...shape, message, data: { ...shape.data, issues: zodError?.issues ?? null, ...retryAfter } };
  },
});

/**
 * While the database is unreachable, a procedure answers SERVICE_UNAVAILABLE at once rather than waiting on a
 * connection; one that fails because the database went away answers the same, and starts the probe that notices
 * when it is back.
 */
const databaseAvailability = t.middleware(async function databaseAvailability({ ctx, next }) {
  const unavailable = (cause?: unknown) =>
    new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the database is unreachable; try again shortly', cause });
  if (!ctx.databaseStatus.isUp()) throw unavailable();
  const result = await next();
  if (!result.ok && ctx.databaseStatus.reportFailure(result.error)) throw unavailable(result.error);
  return result;
});

/** A call on a WebSocket whose token was refused: UNAUTHORIZED, answered to the call (see require-token.ts). */
const refusedToken = t.middleware(function refusedToken({ ctx, next }) {
  if (ctx.tokenRefusal) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.tokenRefusal });
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(refusedToken).use(databaseAvailability);
export const middleware = t.middleware;
