import { initTRPC } from '@trpc/server';
import { ZodError, prettifyError } from 'zod';
import type { Context } from './context.js';
import { retryAfterSecondsOf } from './retry-after.js';

const t = initTRPC.context<Context>().create({
  // Errors reach browsers and other people's code: they carry a message and a code, never our stack.
  isDev: false,
  errorFormatter({ shape, error }) {
    // Invalid input arrives as BAD_REQUEST with zod's issues, so clients can point at the exact field.
    const zodError = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? error.cause : null;
    // An unexpected error's message may quote SQL or a driver: people get a pointer to the log instead.
    const message = error.code === 'INTERNAL_SERVER_ERROR' ? 'internal error (see the server log)' : zodError ? prettifyError(zodError) : shape.message;
    // A rate-limited call says when it may succeed (over HTTP the `retry-after` header says it too).
    const retryAfterSeconds = retryAfterSecondsOf(error);
    const retryAfter: { retryAfterSeconds?: number } = retryAfterSeconds === null ? {} : { retryAfterSeconds };
    return { ...shape, message, data: { ...shape.data, issues: zodError?.issues ?? null, ...retryAfter } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;
export const middleware = t.middleware;
