import type { ServerResponse } from 'node:http';
import { answerTrpcError } from './trpc-error-response.js';

/** tRPC answers queries and subscriptions over GET and mutations over POST; OPTIONS is the CORS preflight's. */
const TRPC_METHODS = new Set(['GET', 'POST']);

export function isTrpcMethod(method: string | undefined): boolean {
  return method !== undefined && TRPC_METHODS.has(method);
}

/**
 * 405 with `allow`, in tRPC's error shape: every other method is refused before tRPC, whose adapter builds a fetch
 * Request that throws on some (TRACE) and answers that as a 500.
 */
export function answerUnsupportedMethod(response: ServerResponse, method: string | undefined): void {
  answerTrpcError(
    response,
    405,
    'METHOD_NOT_SUPPORTED',
    `${method ?? 'this method'} is not supported on /trpc: use GET or POST`,
    {
      headers: { allow: 'GET, POST, OPTIONS' },
    },
  );
}
