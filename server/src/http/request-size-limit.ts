import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createURL } from '@trpc/server/adapters/node-http';
import { log } from '../log.js';
import type { Limits } from './limits.js';

const limitLog = log.withTag('limits');

type Next = (error?: unknown) => void;

/**
 * A connect-style middleware for the tRPC HTTP handler: refuses, before anything is read or any call runs, a body
 * whose Content-Length is over `maxBodyBytes` (413) and a batch of more than `maxBatchCalls` calls (400). A body
 * without a length (chunked) is counted as it arrives: tRPC's own `maxBodySize` refuses it at the same point, and
 * this stops reading the rest. A refused body's connection is closed once answered, so its rest is never read.
 */
export function createRequestSizeLimit(limits: Pick<Limits, 'maxBodyBytes' | 'maxBatchCalls'>) {
  return function limitRequestSize(request: IncomingMessage, response: ServerResponse, next: Next): void {
    const declaredBytes = declaredBodyBytes(request);
    if (declaredBytes !== null && declaredBytes > limits.maxBodyBytes) {
      limitLog.debug(`refused a ${declaredBytes}-byte body (limit ${limits.maxBodyBytes})`);
      request.pause();
      response.setHeader('connection', 'close');
      next(bodyTooLarge(`the request body is ${declaredBytes} bytes`, limits.maxBodyBytes));
      return;
    }
    const calls = batchCallCount(request);
    if (calls > limits.maxBatchCalls) {
      limitLog.debug(`refused a batch of ${calls} calls (limit ${limits.maxBatchCalls})`);
      next(
        new TRPCError({
          code: 'BAD_REQUEST',
          message: `a batch may hold at most ${limits.maxBatchCalls} calls; this one has ${calls}`,
        }),
      );
      return;
    }
    // tRPC reads no body from a GET or HEAD either.
    if (declaredBytes === null && request.method !== 'GET' && request.method !== 'HEAD')
      stopReadingPast(request, response, limits.maxBodyBytes);
    next();
  };
}

/**
 * For `Expect: 100-continue` (curl sends it for large bodies): the client waits for our go-ahead before sending the
 * body, so an oversized one gets its 413 without being sent at all.
 */
export function createContinueCheck(maxBodyBytes: number, handle: RequestListener) {
  return function continueIfWithinLimit(request: IncomingMessage, response: ServerResponse): void {
    const declaredBytes = declaredBodyBytes(request);
    if (declaredBytes === null || declaredBytes <= maxBodyBytes) response.writeContinue();
    handle(request, response);
  };
}

function bodyTooLarge(what: string, maxBodyBytes: number): TRPCError {
  return new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `${what}; the limit is ${maxBodyBytes} bytes` });
}

function declaredBodyBytes(request: IncomingMessage): number | null {
  const header = request.headers['content-length'];
  // Node refuses a request whose Content-Length is not a number, so what arrives here is digits.
  return header === undefined ? null : Number(header);
}

/**
 * `/trpc/a,b,c?batch=1` holds three calls. Read exactly as tRPC reads it: its own createURL (the target resolved
 * against the Host, so dot segments are resolved and a `#fragment` is no part of the query), `batch=1` in the query,
 * the decoded path split at commas (an encoded comma counts too). tRPC splits what follows the base path's length;
 * the whole path has at least its commas, so a count here is never lower than tRPC's.
 */
function batchCallCount(request: IncomingMessage): number {
  let path: string;
  let url: URL;
  try {
    url = createURL(request);
    path = decodeURIComponent(url.pathname);
  } catch (error) {
    // tRPC fails to read such a request in the same way, and then runs none of its calls.
    if (error instanceof TRPCError || error instanceof URIError) return 0;
    throw error;
  }
  return url.searchParams.get('batch') === '1' ? path.split(',').length : 1;
}

function stopReadingPast(request: IncomingMessage, response: ServerResponse, maxBodyBytes: number): void {
  let receivedBytes = 0;
  request.on('data', function countBodyBytes(chunk: Buffer) {
    receivedBytes += chunk.length;
    if (receivedBytes <= maxBodyBytes) return;
    limitLog.debug(`refused a body past ${maxBodyBytes} bytes`);
    request.off('data', countBodyBytes);
    // tRPC stops taking the body here too and answers 413; reading no further leaves the rest in the client.
    request.pause();
    if (!response.headersSent) response.setHeader('connection', 'close');
  });
}
