import { createCallerFactory, router } from '../trpc/init.js';
import { chainsRouter } from './chains.js';
import { healthProcedure } from './health.js';
import { inboxRouter } from './inbox.js';
import { instancesRouter } from './instances.js';
import { logsRouter } from './logs.js';
import { statsRouter } from './stats.js';

export const appRouter = router({
  health: healthProcedure,
  inbox: inboxRouter,
  chains: chainsRouter,
  instances: instancesRouter,
  logs: logsRouter,
  stats: statsRouter,
});

/** The API's whole type; clients import it with `import type`, never at run time. */
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
