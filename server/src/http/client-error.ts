import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { trpcErrorBody } from './trpc-error-response.js';

/** The 431's message, with the limit Node reads headers to (16 KiB, or what --max-http-header-size says). */
export function headersTooLargeMessage(limit = maxHeaderSize): string {
  const size = limit % 1024 === 0 ? `${limit / 1024} KiB` : `${limit.toLocaleString('en-US')} bytes`;
  return `the request's headers are over the server's limit (${size}): a batch of GET queries whose URL is too long (give httpBatchLink a maxURLLength under it, such as 14000 for 16 KiB), or a header too large`;
}

const HEADERS_TOO_LARGE = trpcErrorBody(431, 'BAD_REQUEST', headersTooLargeMessage());

/**
 * What Node answers a request it cannot parse (`clientError`), but a header block over the limit gets tRPC's error
 * body, so a typed client sees BAD_REQUEST and a message rather than a JSON parse error: a batch of GET queries with
 * long filters is the usual cause. The rest with Node 20's answers: 413 for chunk extensions over its limit, 408 for a
 * request that took too long, 400 for anything else, nothing once a response's headers are out.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    if (error.code === 'HPE_HEADER_OVERFLOW')
      socket.write(response('431 Request Header Fields Too Large', HEADERS_TOO_LARGE));
    else if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') socket.write(response('413 Payload Too Large'));
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.write(response('408 Request Timeout'));
    else socket.write(response('400 Bad Request'));
  }
  socket.destroy(error);
}

function response(status: string, json?: string): string {
  const body =
    json === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n`;
  return `HTTP/1.1 ${status}\r\nConnection: close\r\n${body}\r\n${json ?? ''}`;
}
