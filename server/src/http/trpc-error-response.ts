import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

/**
 * An error answered before tRPC runs, in the body tRPC itself gives one, so a typed client reads `error.data.code`
 * (and `error.data.issues`, when given) the same way; tRPC clients take it as the answer to every call of a batch.
 */
export function answerTrpcError(
  response: ServerResponse,
  status: number,
  code: keyof typeof TRPC_ERROR_CODES_BY_KEY,
  message: string,
  options: { issues?: unknown; headers?: OutgoingHttpHeaders } = {},
): void {
  const data = { code, httpStatus: status, ...('issues' in options ? { issues: options.issues } : {}) };
  const body = { error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data } };
  response.writeHead(status, { 'content-type': 'application/json', ...options.headers }).end(JSON.stringify(body));
}
