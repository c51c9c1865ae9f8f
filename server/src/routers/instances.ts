import { readChainQueueHealth } from '../services/chain-queue-health.js';
import { listInstanceStatuses } from '../services/instances.js';
import { publicProcedure, router } from '../trpc/init.js';

export const instancesRouter = router({
  /**
   * The server processes (and `npm run ask` runs) registered on this database in the last day, those that did not
   * stop first, then newest start, MAX_LISTED_INSTANCES at most: each one's id, role, host name, pid, start,
   * heartbeat and its age by the database's clock, and whether it is alive by the lease, lapsed (taken for dead) or
   * stopped; and the chain queue as the answering instance sees it (see readChainQueueHealth). Behind the token like
   * every procedure.
   */
  list: publicProcedure.query(async ({ ctx }) => {
    const [items, chainQueue] = await Promise.all([
      listInstanceStatuses(ctx.db, { leaseMs: ctx.instanceLeaseMs, self: ctx.instanceId }),
      readChainQueueHealth(ctx.chains, true),
    ]);
    return { leaseMs: ctx.instanceLeaseMs, items, chainQueue };
  }),
});
