import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { ChainEventFanOut } from '../chains/chain-event-fan-out.js';
import type { ChainRunner } from '../chains/chain-runner.js';
import type { ChainEventBus } from '../chains/event-bus.js';
import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import type { DatabaseKind } from '../db/dialect.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import type { AppLlm } from '../tasks/index.js';
import { type Caller, type CallerLimits, IN_PROCESS_CALLER, callerOf } from './caller.js';

/** What every procedure may use; built once per process and shared by every request. */
export interface AppDependencies {
  db: Db;
  databaseKind: DatabaseKind;
  /** Whether the database answers: while it does not, procedures answer SERVICE_UNAVAILABLE at once. */
  databaseStatus: DatabaseStatus;
  /** `select 1` on a connection of its own (PostgreSQL), within the time given. */
  pingDatabase(timeoutMs: number): Promise<void>;
  /** How long work that must not be lost waits for an unreachable database (CHAINLOG_DB_OUTAGE_WAIT_MS). */
  outageWaitMs: number;
  /** This process's instance id (null in tests that run without one): chains it creates carry it. */
  instanceId: string | null;
  /** How old a heartbeat may be before its instance counts as dead (CHAINLOG_INSTANCE_LEASE_MS). */
  instanceLeaseMs: number;
  llm: AppLlm;
  /** Runs submitted chains in the background, a bounded number at a time. */
  chains: ChainRunner;
  /** Live chain events, after they are stored. */
  bus: ChainEventBus;
  /** This process's subscribers of single chains, grouped by chain (chains.events). */
  chainEvents: ChainEventFanOut;
  /** inbox.submit calls per client address and minute. */
  submissionLimiter: RateLimiter;
  startedAt: Date;
}

/** The context without a transport: tests build it directly and call procedures through `createCaller`. */
export function createInnerContext(dependencies: AppDependencies, caller: Caller = IN_PROCESS_CALLER) {
  return { ...dependencies, ...caller };
}

export type Context = ReturnType<typeof createInnerContext>;

/** One context per HTTP request, and one per WebSocket connection. */
export function createContextFactory(dependencies: AppDependencies, limits: CallerLimits) {
  return function createContext(options: CreateHTTPContextOptions | CreateWSSContextFnOptions): Context {
    return createInnerContext(dependencies, callerOf(options, limits));
  };
}
