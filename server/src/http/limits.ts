import { BATCH_LINK_LIMITS } from '@chainlog/shared';
import type { Env } from '../env.js';

/** The bounds on what one client may send or hold at once; each comes from its own variable (see .env.example). */
export interface Limits {
  /** Largest request body, in bytes; a larger one is answered 413 before it is read. */
  maxBodyBytes: number;
  /** Calls in one batched HTTP request (`/trpc/a,b,c?batch=1`); more is a 400 before any of them runs. */
  maxBatchCalls: number;
  /** Largest WebSocket message, in bytes; a larger one closes the socket with 1009. */
  maxWsMessageBytes: number;
  /**
   * Bytes a WebSocket may have waiting to be sent (ws's bufferedAmount) before its client is taken for too slow and the
   * socket is dropped; its client reconnects and resumes from the stored events (lastEventId).
   */
  maxWsBufferedBytes: number;
  /** WebSocket connections and SSE subscriptions open at once from one client address, together; one more is refused with 429. */
  maxConnectionsPerAddress: number;
  /** Subscriptions open at once on one WebSocket connection; one more is TOO_MANY_REQUESTS. */
  maxSubscriptionsPerConnection: number;
  /** `inbox.submit` calls a client address may make in a minute (a token bucket: bursts up to this, then a steady rate). */
  maxSubmissionsPerMinute: number;
  /** Chains accepted but not yet started; past that, `inbox.submit` is TOO_MANY_REQUESTS and stores nothing. */
  maxWaitingChains: number;
  /** Exports streaming at once, server-wide (each holds a database connection while it streams); one more is 429. */
  maxExports: number;
  /** How long a WebSocket opened with `?connectionParams=1` may take to send them before it is closed (4408). */
  connectionParamsTimeoutMs: number;
  /** The client address is the last X-Forwarded-For entry (the one our proxy appended) instead of the socket's peer. */
  trustProxy: boolean;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 1_048_576,
  maxBatchCalls: BATCH_LINK_LIMITS.maxItems,
  maxWsMessageBytes: 1_048_576,
  maxWsBufferedBytes: 4_194_304,
  maxConnectionsPerAddress: 50,
  maxSubscriptionsPerConnection: 100,
  maxSubmissionsPerMinute: 120,
  maxWaitingChains: 1_000,
  maxExports: 4,
  connectionParamsTimeoutMs: 10_000,
  trustProxy: false,
};

export function limitsFromEnv(env: Env): Limits {
  return {
    maxBodyBytes: env.CHAINLOG_MAX_BODY_BYTES,
    maxBatchCalls: env.CHAINLOG_MAX_BATCH_CALLS,
    maxWsMessageBytes: env.CHAINLOG_MAX_WS_MESSAGE_BYTES,
    maxWsBufferedBytes: env.CHAINLOG_MAX_WS_BUFFERED_BYTES,
    maxConnectionsPerAddress: env.CHAINLOG_MAX_CONNECTIONS_PER_ADDRESS,
    maxSubscriptionsPerConnection: env.CHAINLOG_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxSubmissionsPerMinute: env.CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE,
    maxWaitingChains: env.CHAINLOG_MAX_WAITING_CHAINS,
    maxExports: env.CHAINLOG_MAX_EXPORTS,
    connectionParamsTimeoutMs: env.CHAINLOG_CONNECTION_PARAMS_TIMEOUT_MS,
    trustProxy: env.CHAINLOG_TRUST_PROXY === '1',
  };
}
