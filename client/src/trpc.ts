import type { AppRouter } from '@chainlog/server/router';
import { BATCH_LINK_LIMITS, UNAUTHORIZED_CLOSE_CODE } from '@chainlog/shared';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { connectionEvents } from './connection-status.js';
import { errorCode } from './error-code.js';
import { API_HTTP_URL, API_WS_URL } from './env.js';

export const trpc = createTRPCReact<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s: tRPC's default backoff grows to 30 s, too slow for a page someone is watching. */
function retryDelayMs(attemptIndex: number): number {
  return Math.min(500 * 2 ** attemptIndex, 5_000);
}

export interface TrpcConnectionOptions {
  /** CHAINLOG_TOKEN, when the server asks for one: a Bearer header on HTTP, connectionParams on the WebSocket. */
  token: string | null;
  /** The server refused the token (or its absence): the WebSocket closed with UNAUTHORIZED_CLOSE_CODE. */
  onUnauthorized: () => void;
}

/**
 * Subscriptions over one WebSocket, everything else batched over HTTP. The WebSocket client reconnects by itself
 * and re-sends each live subscription with the id of the last event it received (`lastEventId`), so a tracked
 * stream resumes without gaps. `close()` ends the WebSocket for good (a refused token would otherwise be retried
 * forever).
 */
export function createTrpcConnection({ token, onUnauthorized }: TrpcConnectionOptions) {
  const wsClient = createWSClient({
    url: API_WS_URL,
    retryDelayMs,
    // Sent as the socket's first message, not in the URL, so it stays out of proxy logs.
    connectionParams: token === null ? undefined : { token },
    // Our pings find a connection that died silently (sleep, a network change), so it is reopened and the indicator
    // tells the truth; the server answers PING with PONG.
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 3_000 },
    onOpen: () => connectionEvents.opened(),
    onClose: (cause) => {
      connectionEvents.closed();
      if (cause?.code === UNAUTHORIZED_CLOSE_CODE) onUnauthorized();
    },
  });
  const client = trpc.createClient({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: wsLink({ client: wsClient }),
        // The server refuses a batch of more than CHAINLOG_MAX_BATCH_CALLS (10 by default): more go in further requests.
        false: httpBatchLink({
          url: API_HTTP_URL,
          // A batch of queries with long filters goes in several GETs, not a 431.
          ...BATCH_LINK_LIMITS,
          headers: token === null ? {} : { authorization: `Bearer ${token}` },
        }),
      }),
    ],
  });
  return { client, close: () => void wsClient.close() };
}

export type TrpcClient = ReturnType<typeof createTrpcConnection>['client'];

/** Codes that a retry cannot change: ask once, show the answer (NOT_IMPLEMENTED: an event this server cannot read). */
const FINAL_CODES = new Set(['NOT_FOUND', 'BAD_REQUEST', 'UNAUTHORIZED', 'NOT_IMPLEMENTED']);

/** `onUnauthorized`: a query or mutation was refused for its token (HTTP 401). */
export function createQueryClient({ onUnauthorized }: { onUnauthorized: () => void }): QueryClient {
  const onError = (error: unknown) => {
    if (errorCode(error) === 'UNAUTHORIZED') onUnauthorized();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        retry: (failureCount, error) => !FINAL_CODES.has(errorCode(error) ?? '') && failureCount < 2,
      },
    },
  });
}
