import type { ChainError, ChainEventPayload } from '@chainlog/shared';
import { v5 as uuidv5 } from 'uuid';
import type { Db } from '../db/client.js';
import { type DatabaseStatus, retryWhileUnreachable } from '../db/database-status.js';
import {
  type ChainOwner,
  claimChains,
  findChain,
  finishChain,
  insertChain,
  lockRunningChainOf,
  removeUnconfirmedChain,
} from '../db/queries/chains.js';
import type { NewChain } from '../db/tables/chain.js';
import { toJsonb } from '../db/jsonb.js';
import type { AskOptions, AskResult } from '../llm/ask.js';
import { newChainId, runInChain } from '../llm/chain-context.js';
import { AbortedError, LlmError } from '../llm/errors/index.js';
import type { AppLlm } from '../tasks/index.js';
import { log } from '../log.js';
import { settleWithin } from '../settle-within.js';
import {
  type ChainDefinition,
  type ChainRun,
  InvalidChainInputError,
  type RegisteredChain,
} from './chain-definition.js';
import { ChainTakenOverError, chainFinished, recordChainEvent, toChainEvent } from './chain-events.js';
import { ChainChangedError, ChainJournal } from './chain-journal.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import type { ChainEventBus } from './event-bus.js';
import type { ChainJobs } from './jobs/chain-jobs.js';

const runnerLog = log.withTag('chains');
/** Waits before each retry of recording a chain's end: long enough for a dropped connection to be replaced. */
const END_RETRY_DELAYS_MS = [100, 1_000];
/** How often an idle runner asks the queue for chains submitted on other instances or handed back. */
export const DEFAULT_CHAIN_POLL_MS = 1_000;
/** Every this many polls, the runner looks for chains it took and no longer runs (a run that failed), and hands them back. */
const ORPHAN_CHECK_EVERY = 10;

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
}

/**
 * What `submit` stores besides the chain and its job, in the same transaction (the chain's own first rows), and how
 * to remove them when the submission is withdrawn.
 */
export interface ChainRows {
  insert(transaction: Db, chainId: string): Promise<void>;
  remove(transaction: Db, chainId: string): Promise<void>;
}

/**
 * Runs chains as jobs of a PostgreSQL queue (pg-boss): `submit` stores a chain and its job in one transaction, and
 * every instance's runner takes queued chains while it has room, at most `maxRunning` at a time. A chain whose
 * instance died is handed back to the queue (by the instance sweep) and resumed by whichever runner takes it: its
 * finished steps are replayed from the journal, the rest run.
 */
export class ChainRunner {
  private readonly active = new Map<string, Promise<void>>();
  private readonly chains: ReadonlyMap<string, RegisteredChain>;
  private accepting = true;
  /** Set once draining ran out of time: chains still running are handed back to the queue instead of ending. */
  private handingBack = false;
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChainRunnerOptions) {
    this.chains = new Map(options.chains.map((chain) => [chain.name, chain]));
  }

  /** Starts taking queued chains: those left from before, and from now on every `pollMs`. */
  start(): void {
    let ticks = 0;
    this.timer = setInterval(() => {
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
   * Stores a chain of `definition` (status running) with its input, the rows `rows` adds, and its job, in one
   * transaction; this runner then starts it at once if it has room. Returns the chain's id. A transaction cut off
   * mid-commit may have landed: the caller is told it failed, so once the database answers it is withdrawn.
   * @throws ShuttingDownError when shutdown began (nothing is stored).
   * @throws ChainQueueFullError when `maxWaiting` chains already wait (nothing is stored).
   */
  async submit<Input>(definition: ChainDefinition<Input>, input: Input, rows?: ChainRows): Promise<string> {
    if (!this.accepting) throw new ShuttingDownError();
    if (!this.chains.has(definition.name))
      throw new Error(`chain "${definition.name}" is not registered with the runner`);
    const { db, jobs, maxRunning, maxWaiting, instanceId } = this.options;
    const chain: NewChain = {
      id: newChainId(),
      name: definition.name,
      status: 'running',
      input: toJsonb(definition.input.parse(input)),
      instance_id: instanceId,
    };
    try {
      await db.transaction().execute(async (transaction) => {
        const { queued, runningHere } = await jobs.backlogForSubmission(transaction, instanceId);
        if (queued >= maxWaiting + Math.max(0, maxRunning - runningHere)) throw new ChainQueueFullError(maxWaiting);
        await insertChain(transaction, chain);
        await rows?.insert(transaction, chain.id);
        await jobs.send(transaction, chain.id);
      });
    } catch (error) {
      if (!(error instanceof ChainQueueFullError) && this.options.databaseStatus?.reportFailure(error))
        void this.withdraw(chain, rows);
      throw error;
    }
    this.fill();
    return chain.id;
  }

  private async withdraw(chain: NewChain, rows: ChainRows | undefined): Promise<void> {
    const { db, jobs } = this.options;
    try {
      const landed = await this.whileReachable(() =>
        removeUnconfirmedChain(db, chain, async (transaction) => {
          // Taken already (an instance polled the queue first): it runs, and its rows are not pulled from under it.
          if (!(await jobs.removeQueued(transaction, chain.id))) throw new AlreadyRunningError();
          await rows?.remove(transaction, chain.id);
        }),
      );
      if (landed)
        runnerLog.warn(
          `chain ${chain.id}: its submission committed but the caller was told it failed, so it was withdrawn`,
        );
    } catch (error) {
      if (error instanceof AlreadyRunningError) {
        runnerLog.warn(
          `chain ${chain.id}: its submission committed but the caller was told it failed; an instance already runs it, so it stays`,
        );
        return;
      }
      runnerLog.error(`chain ${chain.id}: a submission whose commit was not confirmed could not be withdrawn`, error);
    }
  }

  /** Chains this runner runs, and chains queued for any instance to take. */
  async counts(): Promise<{ running: number; waiting: number }> {
    return { running: this.active.size, waiting: await this.options.jobs.queued() };
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
    const { db, jobs, instanceId, databaseStatus } = this.options;
    while (this.accepting && this.active.size < this.options.maxRunning) {
      if (databaseStatus && !databaseStatus.isUp()) return;
      let chainIds: string[];
      try {
        // Taken and claimed together: a process that dies in between leaves the jobs queued, not taken by nobody.
        chainIds = await db.transaction().execute(async (transaction) => {
          const taken = await jobs.fetch(transaction, this.options.maxRunning - this.active.size);
          await claimChains(transaction, taken, instanceId);
          return taken;
        });
      } catch (error) {
        if (!databaseStatus?.reportFailure(error)) runnerLog.warn('could not take queued chains', error);
        return;
      }
      if (chainIds.length === 0) return;
      for (const chainId of chainIds) {
        const running = this.run(chainId)
          .catch(async (error: unknown) => {
            runnerLog.error(`chain ${chainId}: the runner failed; handing it back to the queue`, error);
            await this.handBack(chainId);
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
    const { db, jobs } = this.options;
    const chain = await this.whileReachable(() =>
      db.selectFrom('chain').select(['name', 'status', 'input']).where('id', '=', chainId).executeTakeFirst(),
    );
    // Finished before its job was marked done, or withdrawn: nothing is left to run.
    if (chain?.status !== 'running') {
      await this.whileReachable(() => jobs.complete(chainId));
      return;
    }
    const kind = this.chains.get(chain.name);
    if (!kind) {
      await this.end(chainId, 'failed', {
        class: 'UnknownChain',
        message: `no chain named "${chain.name}" is registered on this server`,
      });
      return;
    }
    const journal = await this.whileReachable(() => ChainJournal.load(db, chainId));
    if (journal.started) runnerLog.info(`chain ${chainId}: resuming from its journal`);
    let failure: ChainError | null = null;
    try {
      if (!journal.started) await this.record(chainId, { type: 'chain_started' });
      await runInChain(chainId, () => kind.start(this.chainRun(chainId, journal), chain.input));
    } catch (error) {
      if (error instanceof ChainTakenOverError) {
        runnerLog.warn(error.message);
        return;
      }
      if (this.stoppedByShutdown(error)) {
        await this.handBack(chainId);
        return;
      }
      runnerLog.warn(`chain ${chainId} failed`, error);
      failure = toChainError(error);
    }
    await this.end(chainId, failure ? 'failed' : 'succeeded', failure);
  }

  private chainRun(chainId: string, journal: ChainJournal): ChainRun {
    const { llm } = this.options;
    let stepCount = 0;
    const step = async <Output>(
      name: string,
      call: (resume: { firstAttempt: number }) => Promise<AskResult<Output>>,
      replayOutput: (stored: unknown) => Output,
    ): Promise<AskResult<Output>> => {
      const number = ++stepCount;
      const journaled = journal.step(number, name);
      if (journaled.kind === 'finished') {
        // Its call finished but its end was never stored (the process died in between): stored now, then replayed.
        if (!journal.hasFinished(number)) await this.record(chainId, journaled.finished);
        return replayed(chainId, journaled.finished, replayOutput);
      }
      await this.record(chainId, { type: 'step_started', step: number, name });
      try {
        const result = await call({ firstAttempt: journaled.firstAttempt });
        await this.record(chainId, {
          type: 'step_finished',
          step: number,
          name,
          output: result.output,
          logId: result.logId,
          provider: result.provider,
          model: result.model,
          latencyMs: result.latencyMs,
          inputTokens: result.usage.inputTokens,
          outputTokens: result.usage.outputTokens,
          costUsd: result.costUsd,
        });
        return result;
      } catch (error) {
        // A step stopped by a shutdown is resumed elsewhere, not failed; one taken over is already another's.
        if (this.stoppedByShutdown(error) || error instanceof ChainTakenOverError) throw error;
        const logId = LlmError.isInstance(error) ? (error.logId ?? null) : null;
        // The step's own error is what the chain fails with, even if recording it fails too.
        await this.record(chainId, {
          type: 'step_failed',
          step: number,
          name,
          error: toChainError(error),
          logId,
        }).catch((recordError: unknown) =>
          runnerLog.error(`chain ${chainId}: could not record step ${number} failing`, recordError),
        );
        throw error;
      }
    };
    // One implementation behind ask()'s typed overloads, as in ask.ts: the task validates input and output either way.
    const ask = ((task: string | { name: string }, input: unknown, options: AskOptions = {}) => {
      const name = typeof task === 'string' ? task : task.name;
      const output = llm.tasks.get(name).definition.output;
      return step(
        name,
        ({ firstAttempt }) => llm.askByName(name, input, { ...options, chainId, firstAttempt }),
        (stored) => output.parse(stored),
      );
    }) as AppLlm['ask'];
    return {
      chainId,
      ask,
      // The caller's own step: its output is replayed as stored, typed as the caller declared it.
      step: <Output>(name: string, call: (resume: { firstAttempt: number }) => Promise<AskResult<Output>>) =>
        step(name, call, (stored) => stored as Output),
      write: (work) => this.whileReachable(work),
      stableId: (key) => uuidv5(key, chainId),
    };
  }

  private record(chainId: string, payload: Parameters<typeof recordChainEvent>[3]): Promise<unknown> {
    // An event insert cut off just as it committed is stored twice when retried: a repeated event is harmless to
    // subscribers (they fold events by step), a chain failed by a short outage is not.
    return this.whileReachable(() => recordChainEvent(this.options.db, this.options.bus, chainId, payload, this.owner));
  }

  private get owner(): ChainOwner {
    return { instanceId: this.options.instanceId };
  }

  /** Whether the chain still belongs to this runner (ended or not): its job is then this runner's to complete. */
  private async stillOwns(chainId: string): Promise<boolean> {
    const chain = await this.whileReachable(() => findChain(this.options.db, chainId));
    return chain !== undefined && (chain.instance_id ?? null) === this.options.instanceId;
  }

  /** A step's error that a shutdown caused (its call aborted once draining ran out of time): the chain is resumed, not failed. */
  private stoppedByShutdown(error: unknown): boolean {
    return this.handingBack && AbortedError.isInstance(error);
  }

  /**
   * Puts the chain's job back in the queue, if the chain is still this instance's and running (a job another
   * instance took meanwhile is never touched), to be resumed by whichever instance takes it.
   */
  private async handBack(chainId: string): Promise<void> {
    const { db, jobs } = this.options;
    try {
      const handedBack = await this.whileReachable(() =>
        db.transaction().execute(async (transaction) => {
          if (!(await lockRunningChainOf(transaction, chainId, this.owner))) return false;
          await jobs.handBack([chainId], transaction);
          return true;
        }),
      );
      if (handedBack) runnerLog.info(`chain ${chainId}: handed back to the queue, to be resumed`);
    } catch (error) {
      // This instance's next look for orphans, or the sweep of another once this one is seen stopped, hands it back.
      runnerLog.warn(`chain ${chainId}: could not hand it back to the queue`, error);
    }
  }

  /** Chains this runner took and no longer runs (a run that failed on the way): handed back to the queue. */
  private async handBackOrphans(): Promise<void> {
    if (!this.accepting || (this.options.databaseStatus && !this.options.databaseStatus.isUp())) return;
    try {
      const orphans = await this.options.jobs.orphans(this.options.instanceId, [...this.active.keys()]);
      // Taken between the query and now: it is running after all.
      for (const chainId of orphans) if (!this.active.has(chainId)) await this.handBack(chainId);
    } catch (error) {
      if (!this.options.databaseStatus?.reportFailure(error))
        runnerLog.warn('could not look for chains left by a failed run', error);
    }
  }

  /**
   * The final status and chain_finished, stored together, then published, then the job done. A failure is retried
   * a few times: left unrecorded, the chain stays running until an instance sweep hands it back.
   */
  private async end(chainId: string, status: 'succeeded' | 'failed', error: ChainError | null): Promise<void> {
    for (const retryDelayMs of [...END_RETRY_DELAYS_MS, undefined]) {
      try {
        // Only a chain still running is finished, so a retry after a commit whose answer was lost changes nothing.
        // The job is done in the transaction that ends the chain: a chain is never over with its job still taken.
        const event = await this.whileReachable(() =>
          finishChain(this.options.db, chainId, chainFinished(status, error), this.owner, (transaction) =>
            this.options.jobs.complete(chainId, transaction),
          ),
        );
        if (event) this.options.bus.publish(toChainEvent(event), event.previous_id);
        // Not ended here: already ended (a retry whose first commit's answer was lost), or another instance's now.
        else if (await this.stillOwns(chainId)) await this.whileReachable(() => this.options.jobs.complete(chainId));
        return;
      } catch (recordError) {
        const what = `chain ${chainId}: could not record that it ${status === 'succeeded' ? 'succeeded' : 'ended'}`;
        if (retryDelayMs === undefined) {
          runnerLog.error(`${what}; handing it back to the queue, to be resumed`, recordError);
          await this.handBack(chainId);
          return;
        }
        runnerLog.warn(`${what}; trying again in ${retryDelayMs} ms`, recordError);
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  }

  private whileReachable<T>(work: () => Promise<T>): Promise<T> {
    const { databaseStatus, outageWaitMs } = this.options;
    return databaseStatus && outageWaitMs ? retryWhileUnreachable(databaseStatus, outageWaitMs, work) : work();
  }
}

/** A finished step's result as its journal stored it. */
function replayed<Output>(
  chainId: string,
  stored: Extract<ChainEventPayload, { type: 'step_finished' }>,
  output: (stored: unknown) => Output,
): AskResult<Output> {
  return {
    output: output(stored.output),
    chainId,
    logId: stored.logId,
    usage: { inputTokens: stored.inputTokens, outputTokens: stored.outputTokens },
    costUsd: stored.costUsd,
    provider: stored.provider,
    model: stored.model,
    attempts: 1,
    latencyMs: stored.latencyMs,
  };
}

/** What subscribers and analysts see: our typed LLM errors as they are; anything else only as "internal". */
function toChainError(error: unknown): ChainError {
  if (LlmError.isInstance(error)) return { class: error.name, message: error.message };
  if (error instanceof ChainChangedError || error instanceof InvalidChainInputError)
    return { class: error.name, message: error.message };
  return { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
}

/** A withdrawal that found the chain's job already taken: the transaction is rolled back and the chain runs. */
class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
}

/** Refused: the server is shutting down and starts no new chains. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('the server is shutting down and starts no new chains; try again shortly');
  }
}
