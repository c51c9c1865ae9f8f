import type { TRPCError } from '@trpc/server';

/** The cause of a TOO_MANY_REQUESTS that knows when to come back: its seconds reach clients as `retry-after`. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Seconds until the refused call may succeed, when its error says; null otherwise. */
export function retryAfterSecondsOf(error: TRPCError): number | null {
  return error.cause instanceof RateLimitedError ? error.cause.retryAfterSeconds : null;
}

/**
 * tRPC's `responseMeta` for HTTP: a `retry-after` header (seconds) when a call was rate limited; over WebSocket,
 * where there are no headers, clients read `error.data.retryAfterSeconds` instead.
 */
export function retryAfterHeader({ errors }: { errors: TRPCError[] }): { headers?: Headers } {
  const seconds = errors.map(retryAfterSecondsOf).filter((value) => value !== null);
  return seconds.length === 0 ? {} : { headers: new Headers({ 'retry-after': String(Math.max(...seconds)) }) };
}
