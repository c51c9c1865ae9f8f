import { TRPCError } from '@trpc/server';
import { middleware } from './init.js';
import { RateLimitedError } from './retry-after.js';

/**
 * Counts the call against its client address's allowance (`CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE`): past it,
 * TOO_MANY_REQUESTS with the seconds to wait (`retry-after` over HTTP, `data.retryAfterSeconds` everywhere).
 */
export const limitSubmissions = middleware(function limitSubmissions({ ctx, next }) {
  const decision = ctx.submissionLimiter.take(ctx.clientAddress);
  if (decision.allowed) return next();
  const message = `too many submissions from ${ctx.clientAddress}; try again in ${decision.retryAfterSeconds} s`;
  throw new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message,
    cause: new RateLimitedError(message, decision.retryAfterSeconds),
  });
});
