import type { ChainError, ChainEventPayload } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { type DatabaseStatus, retryWhileUnreachable } from '../db/database-status.js';
import { type ChainOwner, findChain, finishChain, lockRunningChainOf } from '../db/queries/chains.js';
import { log } from '../log.js';
import type { ThrownError } from './chain-errors.js';
import { chainFinished, recordChainEvent, toChainEvent } from './chain-events.js';
import type { ChainEventBus } from './event-bus.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

const lifecycleLog = log.withTag('chains');
/** Waits before each retry of recording a chain's end: long enough for a dropped connection to be replaced. */
const END_RETRY_DELAYS_MS = [100, 1_000];

export interface ChainLifecycleOptions {
  db: Db;
  bus: ChainEventBus;
  jobs: ChainJobs;
  /** The instance whose chains these are: what is recorded of a chain is stored only while it still runs it. */
  instanceId: string | null;
  /**
   * With these, a write that fails because the database is unreachable waits for it (up to `outageWaitMs`) and goes
   * on, instead of failing.
   */
  databaseStatus?: DatabaseStatus | undefined;
  outageWaitMs?: number | undefined;
}

/**
 * What a runner stores of the chains it runs, each only while the chain is still its own (a run taken for dead
 * stores nothing more): their events, their end (with their job done), and their hand-back to the queue.
 */
export class ChainLifecycle {
  constructor(private readonly options: ChainLifecycleOptions) {}

  /** Stores the event, then publishes it; `thrown` is kept beside a step_failed for the journal (chain-errors.ts). */
  record(chainId: string, payload: ChainEventPayload, thrown?: ThrownError): Promise<unknown> {
    const { db, bus } = this.options;
    // An event insert cut off just as it committed is stored twice when retried: a repeated event is harmless to
    // subscribers (they fold events by step), a chain failed by a short outage is not.
    return this.whileReachable(() => recordChainEvent(db, bus, chainId, payload, this.owner, thrown));
  }

  /**
   * The final status and chain_finished, stored together, then published, then the job done. A failure is retried
   * a few times: left unrecorded, the chain stays running until an instance sweep hands it back.
   */
  async end(chainId: string, status: 'succeeded' | 'failed', error: ChainError | null): Promise<void> {
    const { db, bus, jobs } = this.options;
    for (const retryDelayMs of [...END_RETRY_DELAYS_MS, undefined]) {
      try {
        // Only a chain still running is finished, so a retry after a commit whose answer was lost changes nothing.
        // The job is done in the transaction that ends the chain: a chain is never over with its job still taken.
        const event = await this.whileReachable(() =>
          finishChain(db, chainId, chainFinished(status, error), this.owner, (transaction) =>
            jobs.complete(chainId, transaction),
          ),
        );
        if (event) bus.publish(toChainEvent(event), event.previous_id);
        // Not ended here: already ended (a retry whose first commit's answer was lost), or another instance's now.
        else if (await this.stillOwns(chainId)) await this.whileReachable(() => jobs.complete(chainId));
        return;
      } catch (recordError) {
        const what = `chain ${chainId}: could not record that it ${status === 'succeeded' ? 'succeeded' : 'ended'}`;
        if (retryDelayMs === undefined) {
          lifecycleLog.error(`${what}; handing it back to the queue, to be resumed`, recordError);
          await this.handBack(chainId);
          return;
        }
        lifecycleLog.warn(`${what}; trying again in ${retryDelayMs} ms`, recordError);
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  }

  /** Marks the job of a chain that has nothing left to run (finished before its job was, or withdrawn) as done. */
  completeJob(chainId: string): Promise<void> {
    return this.whileReachable(() => this.options.jobs.complete(chainId));
  }

  /**
   * Puts the chain's job back in the queue, if the chain is still this instance's and running (a job another
   * instance took meanwhile is never touched), to be resumed by whichever instance takes it.
   */
  async handBack(chainId: string): Promise<void> {
    const { db, jobs } = this.options;
    try {
      const handedBack = await this.whileReachable(() =>
        db.transaction().execute(async (transaction) => {
          if (!(await lockRunningChainOf(transaction, chainId, this.owner))) return false;
          await jobs.handBack([chainId], transaction);
          return true;
        }),
      );
      if (handedBack) lifecycleLog.info(`chain ${chainId}: handed back to the queue, to be resumed`);
    } catch (error) {
      // This instance's next look for orphans, or the sweep of another once this one is seen stopped, hands it back.
      lifecycleLog.warn(`chain ${chainId}: could not hand it back to the queue`, error);
    }
  }

  /** Runs `work`, waiting out an outage of the database (when told how) and running it again: idempotent work only. */
  whileReachable<T>(work: () => Promise<T>): Promise<T> {
    const { databaseStatus, outageWaitMs } = this.options;
    return databaseStatus && outageWaitMs ? retryWhileUnreachable(databaseStatus, outageWaitMs, work) : work();
  }

  private get owner(): ChainOwner {
    return { instanceId: this.options.instanceId };
  }

  /** Whether the chain still belongs to this runner (ended or not): its job is then this runner's to complete. */
  private async stillOwns(chainId: string): Promise<boolean> {
    const chain = await this.whileReachable(() => findChain(this.options.db, chainId));
    return chain !== undefined && (chain.instance_id ?? null) === this.options.instanceId;
  }
}
