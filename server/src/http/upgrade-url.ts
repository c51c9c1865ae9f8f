import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createURL } from '@trpc/server/adapters/node-http';
import { log } from '../log.js';

const upgradeLog = log.withTag('access');

type VerifyCallback = (accept: boolean, code?: number, message?: string, headers?: OutgoingHttpHeaders) => void;

/**
 * The URL of a WebSocket upgrade exactly as tRPC's WebSocket handler reads it (the request target resolved against
 * the Host), or undefined when that reading fails: `//` and `/\` name an empty host, which URL rejects.
 */
export function parseUpgradeUrl(request: IncomingMessage): URL | undefined {
  try {
    return createURL(request);
  } catch (error) {
    // createURL turns the URL's TypeError into a BAD_REQUEST; anything else is not about the URL.
    if (error instanceof TRPCError) return undefined;
    throw error;
  }
}

/**
 * ws's `verifyClient`, first of all: tRPC reads the URL once the socket is open, in an event handler where its throw
 * would end the process, so an upgrade whose URL it cannot read is answered 400 here instead.
 */
export function refuseUnreadableUpgradeUrl(
  info: { req: IncomingMessage },
  callback: VerifyCallback,
  next: () => void,
): void {
  if (parseUpgradeUrl(info.req)) {
    next();
    return;
  }
  upgradeLog.debug(`refused a WebSocket: its URL ${JSON.stringify(info.req.url)} cannot be parsed`);
  callback(false, 400, JSON.stringify({ error: 'the WebSocket URL cannot be parsed' }), {
    'Content-Type': 'application/json',
  });
}
