import { TRPCClientError } from '@trpc/client';

/** The tRPC error code ('NOT_FOUND', 'BAD_REQUEST', …) of a failed call; undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  return typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'string'
    ? data.code
    : undefined;
}
