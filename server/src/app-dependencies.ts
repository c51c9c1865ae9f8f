import { ChainRunner } from './chains/chain-runner.js';
import { registered } from './chains/chain-definition.js';
import { ChainJobs } from './chains/jobs/chain-jobs.js';
import { supportTriage } from './chains/support-triage.js';
import { toChainEvent } from './chains/chain-events.js';
import { ChainEventFanOut } from './chains/chain-event-fan-out.js';
import { ChainEventFeed } from './chains/chain-event-feed.js';
import { ChainEventBus } from './chains/event-bus.js';
import type { InstanceLease } from './instances/instance-lease.js';
import type { DatabaseHandle } from './db/client.js';
import { DEFAULT_LIMITS } from './http/limits.js';
import { RateLimiter } from './http/rate-limiter.js';
import type { AppLlm } from './tasks/index.js';
import type { AppDependencies } from './trpc/context.js';

/** The lease of instances as CHAINLOG_INSTANCE_LEASE_MS has it by default, for dependencies built without one. */
const DEFAULT_INSTANCE_LEASE_MS = 10_000;

/**
 * The process-wide services every procedure shares, around an open database and the LLM layer; the chain runner
 * starts taking queued chains at once.
 */
export async function createAppDependencies(options: {
  database: DatabaseHandle;
  llm: AppLlm;
  /** This process's instance: chains it creates carry its id, and chains it finds abandoned are announced. */
  instance?: InstanceLease | undefined;
  /** The chain queue; without it, one without pg-boss's maintenance (which the caller would have to stop). */
  jobs?: ChainJobs | undefined;
  maxRunningChains: number;
  /** Chains waiting to start, at most (CHAINLOG_MAX_WAITING_CHAINS, 1,000 by default). */
  maxWaitingChains?: number;
  /** inbox.submit calls per client address and minute (CHAINLOG_MAX_SUBMISSIONS_PER_MINUTE, 120 by default). */
  maxSubmissionsPerMinute?: number;
  /** The clock of the per-minute allowance, in ms (tests pass their own). */
  now?: () => number;
  startedAt?: Date;
  /** How often an idle chain runner looks for queued chains. */
  chainPollMs?: number | undefined;
  /** How long a chain of a kind this server does not run is left for one that does (CHAINLOG_UNKNOWN_CHAIN_GRACE_MS). */
  unknownChainGraceMs?: number | undefined;
}): Promise<AppDependencies> {
  const { database, llm, instance } = options;
  // PostgreSQL: events stored by any process reach this one's subscribers through the feed (LISTEN/NOTIFY).
  // PGlite: this process is the only one, and publishes what it stores itself.
  const bus = new ChainEventBus(database.listen ? 'database' : 'this-process');
  if (database.listen && database.schema !== undefined) {
    new ChainEventFeed({
      db: database.db,
      bus,
      status: database.status,
      schema: database.schema,
      listen: database.listen,
    });
  }
  instance?.onChainFinished((event) => bus.publish(toChainEvent(event), event.previous_id));
  const jobs = options.jobs ?? (await ChainJobs.start(database, { supervise: false }));
  const chains = new ChainRunner({
    db: database.db,
    bus,
    jobs,
    llm,
    chains: [registered(supportTriage(database.db))],
    instanceId: instance?.id ?? null,
    maxRunning: options.maxRunningChains,
    maxWaiting: options.maxWaitingChains ?? DEFAULT_LIMITS.maxWaitingChains,
    pollMs: options.chainPollMs,
    unknownChainGraceMs: options.unknownChainGraceMs,
    databaseStatus: database.status,
    outageWaitMs: database.outageWaitMs,
  });
  chains.start();
  return {
    db: database.db,
    databaseKind: database.kind,
    databaseStatus: database.status,
    pingDatabase: (timeoutMs) => database.ping(timeoutMs),
    outageWaitMs: database.outageWaitMs,
    instanceId: instance?.id ?? null,
    instanceLeaseMs: instance?.leaseMs ?? DEFAULT_INSTANCE_LEASE_MS,
    llm,
    bus,
    chainEvents: new ChainEventFanOut({ db: database.db, bus }),
    chains,
    submissionLimiter: new RateLimiter({
      perMinute: options.maxSubmissionsPerMinute ?? DEFAULT_LIMITS.maxSubmissionsPerMinute,
      now: options.now,
    }),
    startedAt: options.startedAt ?? new Date(),
  };
}
