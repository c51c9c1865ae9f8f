import { TRPCError } from '@trpc/server';
import { readHealth } from '../services/health.js';
import { publicProcedure } from '../trpc/init.js';

/** The server and its database answer: `{ status: 'ok', … }`, or SERVICE_UNAVAILABLE while the database does not. */
export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  const health = await readHealth(ctx);
  if (health.status !== 'ok')
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: `${health.problem} (since ${health.since})` });
  return health;
});
