import { ServerResponse } from 'node:http';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { clientAddressOf } from '../http/client-address.js';
import type { Limits } from '../http/limits.js';
import { SubscriptionSlots } from './subscription-slots.js';

/** Who is calling, for the per-client bounds. */
export interface Caller {
  /** The client's address (see clientAddressOf); `in-process` for procedures called through createCaller. */
  clientAddress: string;
  /** The subscription slots of this WebSocket connection; null over HTTP (one request, one subscription at most). */
  subscriptionSlots: SubscriptionSlots | null;
  /** Why this WebSocket's token was refused (see require-token.ts): every call on it is UNAUTHORIZED. */
  tokenRefusal: string | null;
}

export type CallerLimits = Pick<Limits, 'trustProxy' | 'maxSubscriptionsPerConnection'>;

export const IN_PROCESS_CALLER: Caller = { clientAddress: 'in-process', subscriptionSlots: null, tokenRefusal: null };

/** The caller of an HTTP request or a WebSocket connection (tRPC builds one context for the whole connection). */
export function callerOf(options: CreateHTTPContextOptions | CreateWSSContextFnOptions, limits: CallerLimits): Caller {
  const overWebSocket = !(options.res instanceof ServerResponse);
  return {
    clientAddress: clientAddressOf(options.req, limits.trustProxy),
    subscriptionSlots: overWebSocket ? new SubscriptionSlots(limits.maxSubscriptionsPerConnection) : null,
    tokenRefusal: null,
  };
}
