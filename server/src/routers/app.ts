import { createCallerFactory, router } from '../trpc/init.js';
import { healthProcedure } from './health.js';

export const appRouter = router({
  health: healthProcedure,
});

/** The API's whole type; clients import it with `import type`, never at run time. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
