import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { log } from '../log.js';
import { clientAddressOf } from './client-address.js';
import type { Limits } from './limits.js';
import { trpcErrorBody } from './trpc-error-response.js';

const limitLog = log.withTag('limits');

type VerifyCallback = (accept: boolean, code?: number, message?: string, headers?: OutgoingHttpHeaders) => void;

/**
 * Long-lived connections per client address, WebSockets and SSE subscriptions together (one server holds one
 * counter); an address leaves the map when its last connection closes.
 */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerAddress: number) {}

  /** Counts a connection in, or answers false when the address already holds the most it may. */
  tryOpen(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.maxPerAddress) return false;
    this.open.set(address, count + 1);
    return true;
  }

  close(address: string): void {
    const count = (this.open.get(address) ?? 0) - 1;
    if (count > 0) this.open.set(address, count);
    else this.open.delete(address);
  }
}

/** Why a WebSocket or SSE stream past the limit is refused, in the body of its 429. */
export function tooManyStreams(maxPerAddress: number): string {
  return `a client address may hold at most ${maxPerAddress} WebSocket connections and SSE subscriptions at once; end one before opening another`;
}

/**
 * ws's `verifyClient`: an upgrade from an address that already holds `maxConnectionsPerAddress` WebSockets is
 * answered 429. The connection is counted from the handshake (so simultaneous upgrades cannot all slip through)
 * until its socket closes, whichever way it ends.
 */
export function createWebSocketConnectionLimit(limits: Pick<Limits, 'trustProxy'>, counter: ConnectionCounter) {
  return function limitWebSocketsPerAddress(info: { req: IncomingMessage }, callback: VerifyCallback): void {
    const address = clientAddressOf(info.req, limits.trustProxy);
    if (!counter.tryOpen(address)) {
      limitLog.debug(`refused a WebSocket from ${address}: it holds ${counter.maxPerAddress} connections already`);
      callback(false, 429, trpcErrorBody(429, 'TOO_MANY_REQUESTS', tooManyStreams(counter.maxPerAddress)), {
        'Content-Type': 'application/json',
      });
      return;
    }
    info.req.socket.once('close', () => counter.close(address));
    callback(true);
  };
}
