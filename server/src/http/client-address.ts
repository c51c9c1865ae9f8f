import type { IncomingMessage } from 'node:http';

/**
 * Who is asking, for the per-address bounds: the socket's peer address. X-Forwarded-For is anyone's to write, so it
 * counts only with `trustProxy`, and then only its last entry: the one our own proxy appended (entries before it
 * came from the client).
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: boolean): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (!trustProxy) return peer;
  const forwarded = request.headers['x-forwarded-for'];
  const lastHeader = Array.isArray(forwarded) ? forwarded.at(-1) : forwarded;
  const last = lastHeader?.split(',').at(-1)?.trim();
  return last ? last : peer;
}
