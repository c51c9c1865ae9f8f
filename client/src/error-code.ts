import { TRPCClientError } from '@trpc/client';

/** The tRPC error code ('NOT_FOUND', 'BAD_REQUEST', …) of a failed call; undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  return typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'string'
    ? data.code
    : undefined;
}

/** fetch() itself failed: the server is down or out of reach. What fetchWithToken throws for fetch's bare TypeError. */
export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';
}

/**
 * The request never got an answer from the server: it is down or out of reach (fetch itself failed), or something in
 * between (a proxy's error page) answered instead of it. Any other TypeError is a fault of the page, not the network.
 */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ServerUnreachableError || (error instanceof TRPCClientError && error.data == null);
}
