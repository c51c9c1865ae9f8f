import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

/**
 * An error answered before tRPC runs, in the body tRPC itself gives one, so a typed client reads `error.data.code`
 * and `error.data.issues` (null unless given) the same way; tRPC clients take it as the answer to every call of a batch.
 */
export function answerTrpcError(
  response: ServerResponse,
  status: number,
  code: keyof typeof TRPC_ERROR_CODES_BY_KEY,
  message: string,
  options: { issues?: unknown; headers?: OutgoingHttpHeaders } = {},
): void {
  response
    .writeHead(status, { 'content-type': 'application/json', ...options.headers })
    .end(trpcErrorBody(status, code, message, options));
}

/** The JSON text of that body, for answers written another way (a refused WebSocket upgrade). */
export function trpcErrorBody(
  status: number,
  code: keyof typeof TRPC_ERROR_CODES_BY_KEY,
  message: string,
  options: { issues?: unknown } = {},
): string {
  return JSON.stringify({ error: trpcError(status, code, message, options) });
}

/**
 * The error itself, as tRPC shapes one, for a message that carries it beside other fields (a WebSocket's `id`, the
 * error formatter's shape of a call on a refused socket). `issues` keeps its type: null when none is given.
 */
export function trpcError<Issues = never>(
  status: number,
  code: keyof typeof TRPC_ERROR_CODES_BY_KEY,
  message: string,
  options: { issues?: Issues } = {},
) {
  // `issues` as the error formatter gives it on every error (null but for invalid input), so the typed shape holds.
  const data = { code, httpStatus: status, issues: options.issues ?? null };
  return { message, code: TRPC_ERROR_CODES_BY_KEY[code], data };
}
