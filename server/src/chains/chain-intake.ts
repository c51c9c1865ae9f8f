import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import { claimChains } from '../db/queries/chains.js';
import { errorMessage } from '../error-message.js';
import { log } from '../log.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

const intakeLog = log.withTag('chains');
/** The longest wait between two looks at a queue that cannot be read, in polls. */
const MAX_FETCH_BACKOFF_POLLS = 30;

export interface ChainIntakeOptions {
  db: Db;
  jobs: ChainJobs;
  instanceId: string | null;
  /** How often the runner looks at the queue: the first wait after a failed look, doubled after each further one. */
  pollMs: number;
  /** Told of a failure first: when it means the database is away, it logs and probes it, and the intake stays quiet. */
  databaseStatus?: DatabaseStatus | undefined;
}

/** The queue could not be read: since when, why (the last failure's message), and how many looks failed in a row. */
export interface QueueProblem {
  since: Date;
  reason: string;
  failures: number;
}

/**
 * How a runner takes chains from the queue: jobs fetched and their chains claimed under its instance id in one
 * transaction. A look that fails (pg-boss's own fetch would return no jobs instead: see ChainJobs.fetch) is logged
 * once, when the queue stops answering, and once when it answers again; meanwhile the queue is looked at after a
 * growing wait (fetchRetryDelayMs).
 */
export class ChainIntake {
  private problem: (QueueProblem & { retryAt: number }) | undefined;

  constructor(private readonly options: ChainIntakeOptions) {}

  /** The chains now claimed for this runner, at most `count`; none while waiting to look again after a failure. */
  async take(count: number): Promise<string[]> {
    const { db, jobs, instanceId, databaseStatus } = this.options;
    if (this.problem && Date.now() < this.problem.retryAt) return [];
    let chainIds: string[];
    try {
      // Taken and claimed together: a process that dies in between leaves the jobs queued, not taken by nobody.
      chainIds = await db.transaction().execute(async (transaction) => {
        const taken = await jobs.fetch(transaction, count);
        await claimChains(transaction, taken, instanceId);
        return taken;
      });
    } catch (error) {
      if (!databaseStatus?.reportFailure(error)) this.failed(error);
      return [];
    }
    if (this.problem) {
      const seconds = ((Date.now() - this.problem.since.getTime()) / 1000).toFixed(1);
      intakeLog.info(`the chain queue can be read again after ${seconds} s (${this.problem.failures} failed looks)`);
      this.problem = undefined;
    }
    return chainIds;
  }

  /** Why the queue cannot be read now, or undefined while it can. */
  queueProblem(): QueueProblem | undefined {
    if (!this.problem) return undefined;
    const { since, reason, failures } = this.problem;
    return { since, reason, failures };
  }

  /** Looks at the queue at the next chance rather than after the wait (a submission just reached it). */
  lookNow(): void {
    if (this.problem) this.problem.retryAt = 0;
  }

  private failed(error: unknown): void {
    const failures = (this.problem?.failures ?? 0) + 1;
    const retryAt = Date.now() + fetchRetryDelayMs(this.options.pollMs, failures);
    if (!this.problem) {
      const longest = this.options.pollMs * MAX_FETCH_BACKOFF_POLLS;
      intakeLog.warn(`could not take queued chains; trying again after a growing wait (up to ${longest} ms)`, error);
    }
    this.problem = { since: this.problem?.since ?? new Date(), reason: errorMessage(error), failures, retryAt };
  }
}

/** The wait before looking at the queue again after `failures` failed looks in a row: one poll, doubled each time. */
export function fetchRetryDelayMs(pollMs: number, failures: number): number {
  return pollMs * Math.min(2 ** Math.max(0, failures - 1), MAX_FETCH_BACKOFF_POLLS);
}
