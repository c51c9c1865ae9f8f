import { listInstanceStatuses } from '../services/instances.js';
import { publicProcedure, router } from '../trpc/init.js';

export const instancesRouter = router({
  /**
   * Every server process (and `npm run ask`) registered on this database in the last day, newest start first: its
   * id, role, host name, pid, start, heartbeat and its age by the database's clock, and whether it is alive by the
   * lease, lapsed (taken for dead) or stopped. Behind the token like every procedure.
   */
  list: publicProcedure.query(async ({ ctx }) => ({
    leaseMs: ctx.instanceLeaseMs,
    items: await listInstanceStatuses(ctx.db, { leaseMs: ctx.instanceLeaseMs, self: ctx.instanceId }),
  })),
});
