import { TRPCError } from '@trpc/server';
import { UnknownPayloadVersionError } from '../db/chain-event-payloads.js';

/** NOT_FOUND naming the thing and its id, for a service that answered null. */
export function notFound(what: string, id: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `no ${what} has id ${id}` });
}

/**
 * An event stored in a payload version this server does not read (a newer one wrote it) as NOT_IMPLEMENTED, with its
 * message naming the version; anything else as it was. As INTERNAL_SERVER_ERROR its message was hidden and tRPC's
 * clients retried it: an SSE subscription reconnected for as long as this server answered it.
 */
export function unreadableEvent(error: unknown): unknown {
  return error instanceof UnknownPayloadVersionError
    ? new TRPCError({ code: 'NOT_IMPLEMENTED', message: error.message, cause: error })
    : error;
}
