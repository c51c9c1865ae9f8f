import { initTRPC } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';

const t = initTRPC.context<Context>().create({
  // Errors reach browsers and other people's code: they carry a message and a code, never our stack.
  isDev: false,
  errorFormatter({ shape, error }) {
    // Invalid input arrives as BAD_REQUEST with zod's issues, so clients can point at the exact field.
    const issues = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? error.cause.issues : null;
    return { ...shape, data: { ...shape.data, issues } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;
