import { publicProcedure } from '../trpc/init.js';
import { readHealth } from '../services/health.js';

export const healthProcedure = publicProcedure.query(({ ctx }) => readHealth(ctx));
