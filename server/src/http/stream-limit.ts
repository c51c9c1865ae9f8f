import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AnyTRPCRouter, TRPCError } from '@trpc/server';
import { createURL } from '@trpc/server/adapters/node-http';
import { log } from '../log.js';
import { clientAddressOf } from './client-address.js';
import { type ConnectionCounter, tooManyStreams } from './connection-limit.js';
import type { Limits } from './limits.js';
import { answerTrpcError } from './trpc-error-response.js';

const limitLog = log.withTag('limits');

/**
 * tRPC answers a GET of a subscription (httpSubscriptionLink) with an SSE stream held open as long as the subscription
 * lives: a long-lived connection, counted with the address's WebSockets (CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS). One
 * past the bound is answered 429 here, before tRPC starts the stream (whose status is 200 whatever follows); the
 * slot comes back when the response closes, however it ends. Returns false when it answered the request itself.
 */
export function createStreamLimit(
  router: AnyTRPCRouter,
  basePath: string,
  limits: Pick<Limits, 'trustProxy'>,
  counter: ConnectionCounter,
) {
  const subscriptionPaths = new Set(
    Object.entries(router._def.procedures)
      .filter(([, procedure]) => isSubscription(procedure))
      .map(([path]) => path),
  );
  return function limitStreamsPerAddress(request: IncomingMessage, response: ServerResponse): boolean {
    if (!opensStream(request, basePath, subscriptionPaths)) return true;
    const address = clientAddressOf(request, limits.trustProxy);
    if (counter.tryOpen(address)) {
      response.once('close', () => counter.close(address));
      return true;
    }
    limitLog.debug(
      `refused an SSE subscription from ${address}: it holds ${counter.maxPerAddress} connections already`,
    );
    answerTrpcError(response, 429, 'TOO_MANY_REQUESTS', tooManyStreams(counter.maxPerAddress));
    return false;
  };
}

/** Whether tRPC will answer this request with a stream: a GET, not batched, of a subscription's path, read as tRPC reads it. */
function opensStream(request: IncomingMessage, basePath: string, subscriptionPaths: ReadonlySet<string>): boolean {
  if (request.method !== 'GET') return false;
  let url: URL;
  let path: string;
  try {
    url = createURL(request);
    path = decodeURIComponent(url.pathname.slice(basePath.length));
  } catch (error) {
    // tRPC cannot read it either, and answers it with an error at once.
    if (error instanceof URIError || error instanceof TRPCError) return false;
    throw error;
  }
  // tRPC refuses a subscription in a batch.
  return url.searchParams.get('batch') !== '1' && subscriptionPaths.has(path);
}

function isSubscription(entry: unknown): boolean {
  if (typeof entry !== 'object' && typeof entry !== 'function') return false;
  if (entry === null || !('_def' in entry)) return false;
  const definition: unknown = entry._def;
  return (
    typeof definition === 'object' && definition !== null && 'type' in definition && definition.type === 'subscription'
  );
}
