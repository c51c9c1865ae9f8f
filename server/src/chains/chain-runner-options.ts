import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import type { AppLlm } from '../tasks/index.js';
import type { RegisteredChain } from './chain-definition.js';
import type { ChainEventBus } from './event-bus.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

/** What a ChainRunner is built with. */
export interface ChainRunnerOptions {
  db: Db;
  bus: ChainEventBus;
  jobs: ChainJobs;
  llm: AppLlm;
  /** Every kind of chain this runner can run (and resume): `registered(definition)` of each. */
  chains: readonly RegisteredChain[];
  /** This process's instance id: chains it runs carry it, so another instance resumes them if it dies. */
  instanceId: string | null;
  /** Chains running at once in this process; the rest wait in the queue, for this instance or another. */
  maxRunning: number;
  /**
   * Chains waiting in the queue beyond those this runner has room to start, at most; past that, `submit` throws
   * ChainQueueFullError.
   */
  maxWaiting: number;
  /** How often an idle runner looks for queued chains (default 1 s); chains submitted here start at once. */
  pollMs?: number | undefined;
  /**
   * With these, a chain whose event or end cannot be recorded because the database is unreachable waits for it
   * (up to `outageWaitMs`) and goes on, instead of failing.
   */
  databaseStatus?: DatabaseStatus | undefined;
  outageWaitMs?: number | undefined;
  /**
   * How long after its submission a chain of a kind not in `chains` is left in the queue for an instance that runs
   * it (one deployed with a newer version), before the instance that takes it then fails it with UnknownChain
   * (default 15 min; CHAINLOG_UNKNOWN_CHAIN_GRACE_MS).
   */
  unknownChainGraceMs?: number | undefined;
  /** How long such a chain waits in the queue before any instance takes it again (default 5 s). */
  unknownChainRetryMs?: number | undefined;
}
