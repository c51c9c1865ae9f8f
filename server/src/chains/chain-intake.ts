import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import { claimChains, listChainKinds } from '../db/queries/chains.js';
import { errorMessage } from '../error-message.js';
import { log } from '../log.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

const intakeLog = log.withTag('chains');
/** The longest wait between two looks at a queue that cannot be read, in polls. */
const MAX_FETCH_BACKOFF_POLLS = 30;
/** How long a chain of a kind this server does not know is left for one that does, by default, before it fails. */
export const DEFAULT_UNKNOWN_CHAIN_GRACE_MS = 15 * 60_000;
/** How long such a chain waits in the queue, by default, before any server takes it again. */
export const DEFAULT_UNKNOWN_CHAIN_RETRY_MS = 5_000;
/** How many batches of jobs a look takes when each was of kinds unknown here, before it waits for the next poll. */
const MAX_ROUNDS_PAST_UNKNOWN_KINDS = 10;

export interface ChainIntakeOptions {
  db: Db;
  jobs: ChainJobs;
  instanceId: string | null;
  /** How often the runner looks at the queue: the first wait after a failed look, doubled after each further one. */
  pollMs: number;
  /** Told of a failure first: when it means the database is away, it logs and probes it, and the intake stays quiet. */
  databaseStatus?: DatabaseStatus | undefined;
  /** Whether this server runs chains of this kind (name). */
  knows(kind: string): boolean;
  /** How long after its submission a chain of a kind unknown here is still left for another server. */
  unknownChainGraceMs: number;
  /** How long such a chain waits in the queue before any server takes it again. */
  unknownChainRetryMs: number;
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
 *
 * A chain of a kind this server does not know (a rolling deploy that brings a new kind reaches some servers first) is
 * not claimed: its job goes back to the queue in the same transaction, without spending a retry, for any server to
 * take after `unknownChainRetryMs`. Once `unknownChainGraceMs` have passed since its submission it is claimed, and the
 * runner fails it with UnknownChain.
 */
export class ChainIntake {
  private problem: (QueueProblem & { retryAt: number }) | undefined;
  /** The unknown kinds this server said it leaves to others: said once each. */
  private readonly leftKinds = new Set<string>();

  constructor(private readonly options: ChainIntakeOptions) {}

  /** The chains now claimed for this runner, at most `count`; none while waiting to look again after a failure. */
  async take(count: number): Promise<string[]> {
    const { db, jobs, instanceId, databaseStatus } = this.options;
    if (this.problem && Date.now() < this.problem.retryAt) return [];
    let chainIds: string[];
    try {
      // Taken and claimed together: a process that dies in between leaves the jobs queued, not taken by nobody.
      chainIds = await db.transaction().execute(async (transaction) => {
        let taken: string[] = [];
        // Every job taken was of a kind unknown here and went back: the ones after them may be ours. A few rounds
        // at most, so that a backlog of another version's chains does not hold one transaction.
        for (let round = 0; round < MAX_ROUNDS_PAST_UNKNOWN_KINDS && taken.length === 0; round++) {
          const fetched = await jobs.fetch(transaction, count);
          taken = await this.leaveUnknownKinds(transaction, fetched);
          if (fetched.length === 0) break;
        }
        await claimChains(transaction, taken, instanceId);
        return taken;
      });
    } catch (error) {
      // A look still under way when the database closed: nothing to say, no later look.
      if (databaseStatus?.isClosed()) return [];
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

  /** Puts the jobs of chains of kinds unknown here, still within their grace, back in the queue; the rest. */
  private async leaveUnknownKinds(transaction: Db, chainIds: string[]): Promise<string[]> {
    const { jobs, knows, unknownChainGraceMs, unknownChainRetryMs } = this.options;
    const kinds = await listChainKinds(transaction, chainIds, unknownChainGraceMs);
    const left = kinds.filter((chain) => !knows(chain.name) && !chain.overdue);
    if (left.length === 0) return chainIds;
    await jobs.defer(
      transaction,
      left.map((chain) => chain.id),
      unknownChainRetryMs,
    );
    for (const chain of left) {
      intakeLog.debug(`chain ${chain.id} of kind "${chain.name}" left in the queue for a server that runs that kind`);
      if (this.leftKinds.has(chain.name)) continue;
      this.leftKinds.add(chain.name);
      intakeLog.info(
        `chains of kind "${chain.name}", which this server does not run, are left in the queue for a server that does (for ${unknownChainGraceMs} ms after their submission)`,
      );
    }
    const leftIds = new Set(left.map((chain) => chain.id));
    return chainIds.filter((chainId) => !leftIds.has(chainId));
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
