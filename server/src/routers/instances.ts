import { listInstanceStatuses } from '../services/instances.js';
import { publicProcedure, router } from '../trpc/init.js';

export const instancesRouter = router({
  /**
   * The server processes (and `npm run ask` runs) registered on this database in the last day, those that did not
   * stop first, then newest start, MAX_LISTED_INSTANCES at most: each one's id, role, host name, pid, start,
   * heartbeat and its age by the database's clock, and whether it is alive by the lease, lapsed (taken for dead) or
   * stopped. Behind the token like every procedure.
   */
  list: publicProcedure.query(async ({ ctx }) => ({
    leaseMs: ctx.instanceLeaseMs,
    items: await listInstanceStatuses(ctx.db, { leaseMs: ctx.instanceLeaseMs, self: ctx.instanceId }),
  })),
});
