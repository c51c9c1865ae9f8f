import type { ChainError } from '@chainlog/shared';
import { runInChain } from '../llm/chain-context.js';
import { AbortedError } from '../llm/errors/index.js';
import { log } from '../log.js';
import { settleWithin } from '../settle-within.js';
import type { ChainDefinition, RegisteredChain } from './chain-definition.js';
import { toChainError } from './chain-errors.js';
import { ChainTakenOverError } from './chain-events.js';
import {
  ChainIntake,
  DEFAULT_UNKNOWN_CHAIN_GRACE_MS,
  DEFAULT_UNKNOWN_CHAIN_RETRY_MS,
  type QueueProblem,
} from './chain-intake.js';
import { ChainJournal } from './chain-journal.js';
import { ChainLifecycle } from './chain-lifecycle.js';
import { type ChainRows, ShuttingDownError, storeSubmission } from './chain-submission.js';
import { journaledRun } from './journaled-steps.js';
import type { ChainRunnerOptions } from './chain-runner-options.js';

export type { ChainRunnerOptions } from './chain-runner-options.js';
export { type ChainRows, ShuttingDownError } from './chain-submission.js';

const runnerLog = log.withTag('chains');
/** How often an idle runner asks the queue for chains submitted on other instances or handed back. */
export const DEFAULT_CHAIN_POLL_MS = 1_000;
/** Every this many polls, the runner looks for chains it took and no longer runs (a run that failed), and hands them back. */
const ORPHAN_CHECK_EVERY = 10;

/**
 * Runs chains as jobs of a PostgreSQL queue (pg-boss): `submit` stores a chain and its job in one transaction, and
 * every instance's runner takes queued chains while it has room, at most `maxRunning` at a time. A chain whose
 * instance died is handed back to the queue (by the instance sweep) and resumed by whichever runner takes it: its
 * finished steps are replayed from the journal (journaled-steps.ts), the rest run.
 */
export class ChainRunner {
  private readonly active = new Map<string, Promise<void>>();
  private readonly chains: ReadonlyMap<string, RegisteredChain>;
  private readonly lifecycle: ChainLifecycle;
  private readonly intake: ChainIntake;
  private accepting = true;
  /** Set once draining ran out of time: chains still running are handed back to the queue instead of ending. */
  private handingBack = false;
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChainRunnerOptions) {
    this.chains = new Map(options.chains.map((chain) => [chain.name, chain]));
    this.lifecycle = new ChainLifecycle(options);
    this.intake = new ChainIntake({
      ...options,
      pollMs: options.pollMs ?? DEFAULT_CHAIN_POLL_MS,
      knows: (kind) => this.chains.has(kind),
      unknownChainGraceMs: options.unknownChainGraceMs ?? DEFAULT_UNKNOWN_CHAIN_GRACE_MS,
      unknownChainRetryMs: options.unknownChainRetryMs ?? DEFAULT_UNKNOWN_CHAIN_RETRY_MS,
    });
  }

  /** Starts taking queued chains: those left from before, and from now on every `pollMs`. */
  start(): void {
    let ticks = 0;
    this.timer = setInterval(() => {
      // A runner left running past its database's close would fail every look from then on.
      if (this.options.databaseStatus?.isClosed()) return clearInterval(this.timer);
      this.fill();
      if (++ticks % ORPHAN_CHECK_EVERY === 0) void this.handBackOrphans();
    }, this.options.pollMs ?? DEFAULT_CHAIN_POLL_MS);
    this.timer.unref();
    this.fill();
  }

  /** False once shutdown began: callers refuse new chains before they store anything. */
  isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Stores a chain of `definition` with its input, the rows `rows` adds, and its job, in one transaction
   * (storeSubmission); this runner then starts it at once if it has room. Returns the chain's id.
   * @throws ShuttingDownError when shutdown began (nothing is stored).
   * @throws ChainQueueFullError when `maxWaiting` chains already wait (nothing is stored).
   */
  async submit<Input>(definition: ChainDefinition<Input>, input: Input, rows?: ChainRows): Promise<string> {
    if (!this.accepting) throw new ShuttingDownError();
    if (!this.chains.has(definition.name))
      throw new Error(`chain "${definition.name}" is not registered with the runner`);
    const chainId = await storeSubmission({ ...this.options, lifecycle: this.lifecycle }, definition, input, rows);
    this.intake.lookNow();
    this.fill();
    return chainId;
  }

  /** The steps chains of this kind plan to take, in order; [] for a kind this runner does not run or that plans none. */
  plannedSteps(chainName: string): readonly string[] {
    return this.chains.get(chainName)?.steps ?? [];
  }

  /** Why this runner cannot read the queue now (it looks again after a growing wait), or undefined while it can. */
  queueProblem(): QueueProblem | undefined {
    return this.intake.queueProblem();
  }

  /** Chains this runner runs, and chains queued for any instance to take (undefined when the queue cannot be counted). */
  async counts(): Promise<{ running: number; waiting: number | undefined }> {
    const waiting = await this.options.jobs.queued().catch(() => undefined);
    return { running: this.active.size, waiting };
  }

  /**
   * Stops taking chains and waits for the running ones; when `timeoutMs` passes first, false, and from then on a
   * chain that stops (its calls aborted by the shutdown) is handed back to the queue rather than ended, for another
   * instance (or this one's next start) to resume.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    clearInterval(this.timer);
    await this.filling;
    const running = [...this.active.values()];
    if (running.length === 0 || (await settleWithin(running, timeoutMs))) return true;
    this.handingBack = true;
    return false;
  }

  /** Takes queued chains while there is room; a call while one runs makes it look once more when done. */
  private fill(): void {
    if (this.filling !== undefined) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.takeQueued().finally(() => {
      this.filling = undefined;
      if (this.fillAgain) {
        this.fillAgain = false;
        this.fill();
      }
    });
  }

  private async takeQueued(): Promise<void> {
    const { databaseStatus, maxRunning } = this.options;
    while (this.accepting && this.active.size < maxRunning) {
      if (databaseStatus && (!databaseStatus.isUp() || databaseStatus.isClosed())) return;
      const chainIds = await this.intake.take(maxRunning - this.active.size);
      if (chainIds.length === 0) return;
      for (const chainId of chainIds) {
        const running = this.run(chainId)
          .catch(async (error: unknown) => {
            runnerLog.error(`chain ${chainId}: the runner failed; handing it back to the queue`, error);
            await this.lifecycle.handBack(chainId);
          })
          .finally(() => {
            this.active.delete(chainId);
            this.fill();
          });
        this.active.set(chainId, running);
      }
    }
  }

  private async run(chainId: string): Promise<void> {
    const { db } = this.options;
    const { lifecycle } = this;
    const chain = await lifecycle.whileReachable(() =>
      db.selectFrom('chain').select(['name', 'status', 'input']).where('id', '=', chainId).executeTakeFirst(),
    );
    // Finished before its job was marked done, or withdrawn: nothing is left to run.
    if (chain?.status !== 'running') {
      await lifecycle.completeJob(chainId);
      return;
    }
    const kind = this.chains.get(chain.name);
    // Taken only once no instance that runs its kind took it within the grace (ChainIntake).
    if (!kind) {
      await lifecycle.end(chainId, 'failed', {
        class: 'UnknownChain',
        message: `no instance that runs chains of kind "${chain.name}" took this one in time (this one does not run them)`,
      });
      return;
    }
    const journal = await lifecycle.whileReachable(() => ChainJournal.load(db, chainId));
    if (journal.started) runnerLog.info(`chain ${chainId}: resuming from its journal`);
    let failure: ChainError | null = null;
    try {
      if (!journal.started) await lifecycle.record(chainId, { type: 'chain_started' });
      const run = journaledRun({
        chainId,
        journal,
        llm: this.options.llm,
        lifecycle,
        stoppedByShutdown: (error) => this.stoppedByShutdown(error),
      });
      await runInChain(chainId, () => kind.start(run, chain.input));
    } catch (error) {
      if (error instanceof ChainTakenOverError) {
        runnerLog.warn(error.message);
        return;
      }
      if (this.stoppedByShutdown(error)) {
        await lifecycle.handBack(chainId);
        return;
      }
      runnerLog.warn(`chain ${chainId} failed`, error);
      failure = toChainError(error);
    }
    await lifecycle.end(chainId, failure ? 'failed' : 'succeeded', failure);
  }

  /** A step's error that a shutdown caused (its call aborted once draining ran out of time): the chain is resumed, not failed. */
  private stoppedByShutdown(error: unknown): boolean {
    return this.handingBack && AbortedError.isInstance(error);
  }

  /** Chains this runner took and no longer runs (a run that failed on the way): handed back to the queue. */
  private async handBackOrphans(): Promise<void> {
    const { databaseStatus } = this.options;
    // The queue cannot be read: the intake says so once, and this look would fail too.
    if (!this.accepting || (databaseStatus && !databaseStatus.isUp()) || this.intake.queueProblem()) return;
    try {
      const orphans = await this.options.jobs.orphans(this.options.instanceId, [...this.active.keys()]);
      // Taken between the query and now: it is running after all.
      for (const chainId of orphans) if (!this.active.has(chainId)) await this.lifecycle.handBack(chainId);
    } catch (error) {
      if (!this.options.databaseStatus?.reportFailure(error))
        runnerLog.warn('could not look for chains left by a failed run', error);
    }
  }
}
