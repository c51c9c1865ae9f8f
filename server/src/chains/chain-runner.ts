import type { ChainError } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { type DatabaseStatus, retryWhileUnreachable } from '../db/database-status.js';
import { finishChain } from '../db/queries/chains.js';
import type { AskResult } from '../llm/ask.js';
import { runInChain } from '../llm/chain-context.js';
import { LlmError } from '../llm/errors/index.js';
import { log } from '../log.js';
import { settleWithin } from '../settle-within.js';
import { recordChainEvent, toChainEvent } from './chain-events.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import type { ChainEventBus } from './event-bus.js';

const runnerLog = log.withTag('chains');
/** Waits before each retry of recording a chain's end: long enough for a dropped connection to be replaced. */
const END_RETRY_DELAYS_MS = [100, 1_000];
const STOPPED_BEFORE_START: ChainError = { class: 'Interrupted', message: 'the server stopped before this chain started' };

/** What a chain's work gets: its id and a `step` that reports each call as it starts and ends. */
export interface ChainRun {
  chainId: string;
  /** Runs one named step (usually one `ask()`), recording step_started, then step_finished or step_failed. */
  step<Output>(name: string, call: () => Promise<AskResult<Output>>): Promise<AskResult<Output>>;
  /**
   * Runs one of the chain's own database writes (its domain rows). When the database is unreachable it waits for
   * it and runs the write again, so the write must be idempotent: an insert of a row whose id was made before,
   * `on conflict do nothing`.
   */
  write(work: () => Promise<void>): Promise<void>;
}

export type ChainWork = (run: ChainRun) => Promise<void>;

export interface ChainRunnerOptions {
  db: Db;
  bus: ChainEventBus;
  /** Chains running at once; the rest wait in submission order. */
  maxRunning: number;
  /**
   * With these, a chain whose event or end cannot be recorded because the database is unreachable waits for it
   * (up to `outageWaitMs`) and goes on, instead of failing.
   */
  databaseStatus?: DatabaseStatus | undefined;
  outageWaitMs?: number | undefined;
  /** Chains waiting to start, at most (reserved places count); past that, `reserve` throws ChainQueueFullError. */
  maxWaiting: number;
}

/** A place held for one chain while its rows are stored: used by `enqueue`, or given back by `cancel`. */
export interface ChainReservation {
  /** Queues the stored chain in the place held for it (see ChainRunner.enqueue). */
  enqueue(chainId: string, work: ChainWork): Promise<boolean>;
  /** Gives the place back (the chain was not stored); does nothing after `enqueue`. */
  cancel(): void;
}

/**
 * Runs submitted chains in the background, at most `maxRunning` at a time, first come first served. The chain row
 * must exist (status running) before `enqueue`; the runner writes its events and its final status.
 */
export class ChainRunner {
  private readonly waiting: { chainId: string; work: ChainWork }[] = [];
  private readonly active = new Set<Promise<void>>();
  /** Places held by callers still storing their chain: counted as waiting, so concurrent callers cannot overfill. */
  private reserved = 0;
  private accepting = true;

  constructor(private readonly options: ChainRunnerOptions) {}

  /** False once shutdown began: callers refuse new chains before they store anything. */
  isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Holds a place for one chain before the caller stores it, so a full queue refuses it before anything is written.
   * @throws ChainQueueFullError when `maxWaiting` chains already wait (or hold places) and every run slot is taken.
   */
  reserve(): ChainReservation {
    const { maxRunning, maxWaiting } = this.options;
    if (this.active.size + this.waiting.length + this.reserved >= maxRunning + maxWaiting) throw new ChainQueueFullError(maxWaiting);
    this.reserved++;
    let held = true;
    const giveBack = () => {
      if (held) this.reserved--;
      held = false;
    };
    return {
      enqueue: async (chainId, work) => {
        if (!held) throw new Error(`the place reserved for chain ${chainId} was already used or cancelled`);
        giveBack();
        return this.enqueueReserved(chainId, work);
      },
      cancel: giveBack,
    };
  }

  /**
   * Queues a stored chain (`reserve().enqueue`). Once shutdown began (it can begin while the caller stores the
   * chain), the chain is ended as interrupted instead, so it does not stay running with its subscribers waiting;
   * resolves to whether it was queued.
   * @throws ChainQueueFullError as `reserve` does.
   */
  async enqueue(chainId: string, work: ChainWork): Promise<boolean> {
    return this.reserve().enqueue(chainId, work);
  }

  private async enqueueReserved(chainId: string, work: ChainWork): Promise<boolean> {
    if (!this.accepting) {
      await this.end(chainId, 'interrupted', STOPPED_BEFORE_START);
      return false;
    }
    this.waiting.push({ chainId, work });
    this.startWaiting();
    return true;
  }

  counts(): { running: number; waiting: number } {
    return { running: this.active.size, waiting: this.waiting.length };
  }

  /**
   * Stops starting chains, ends the waiting ones as interrupted, and waits for the running ones; false if
   * `timeoutMs` passed first.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    // Ended together, and within the timeout like the running ones.
    const endingWaiting = this.waiting.splice(0).map(({ chainId }) => this.end(chainId, 'interrupted', STOPPED_BEFORE_START));
    const pending = [...endingWaiting, ...this.active];
    return pending.length === 0 || settleWithin(pending, timeoutMs);
  }

  private startWaiting(): void {
    while (this.accepting && this.active.size < this.options.maxRunning) {
      const next = this.waiting.shift();
      if (!next) return;
      const running = this.run(next.chainId, next.work).finally(() => {
        this.active.delete(running);
        this.startWaiting();
      });
      this.active.add(running);
    }
  }

  private async run(chainId: string, work: ChainWork): Promise<void> {
    const { db, bus } = this.options;
    // An event insert cut off just as it committed is stored twice when retried: a repeated event is harmless to
    // subscribers (they fold events by step), a chain failed by a short outage is not.
    const record = (payload: Parameters<typeof recordChainEvent>[3]) => this.whileReachable(() => recordChainEvent(db, bus, chainId, payload));
    let stepCount = 0;
    const whileReachable = <T>(work: () => Promise<T>) => this.whileReachable(work);
    const run: ChainRun = {
      chainId,
      write: (work) => whileReachable(work),
      async step(name, call) {
        const step = ++stepCount;
        await record({ type: 'step_started', step, name });
        try {
          const result = await call();
          await record({
            type: 'step_finished',
            step,
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
          const logId = LlmError.isInstance(error) ? (error.logId ?? null) : null;
          // The step's own error is what the chain fails with, even if recording it fails too.
          await record({ type: 'step_failed', step, name, error: toChainError(error), logId }).catch((recordError: unknown) =>
            runnerLog.error(`chain ${chainId}: could not record step ${step} failing`, recordError),
          );
          throw error;
        }
      },
    };
    let failure: ChainError | null = null;
    try {
      await record({ type: 'chain_started' });
      await runInChain(chainId, () => work(run));
    } catch (error) {
      runnerLog.warn(`chain ${chainId} failed`, error);
      failure = toChainError(error);
    }
    await this.end(chainId, failure ? 'failed' : 'succeeded', failure);
  }

  /**
   * The final status and chain_finished, stored together, then published. A failure is retried a few times: left
   * unrecorded, the chain would stay running until the next start and its subscribers would wait till then.
   */
  private async end(chainId: string, status: 'succeeded' | 'failed' | 'interrupted', error: ChainError | null): Promise<void> {
    for (const retryDelayMs of [...END_RETRY_DELAYS_MS, undefined]) {
      try {
        // Only a chain still running is finished, so a retry after a commit whose answer was lost changes nothing.
        const event = await this.whileReachable(() => finishChain(this.options.db, chainId, status, error));
        if (event) this.options.bus.publish(toChainEvent(event), event.previous_id);
        return;
      } catch (recordError) {
        const what = `chain ${chainId}: could not record that it ${status === 'succeeded' ? 'succeeded' : 'ended'}`;
        if (retryDelayMs === undefined) {
          runnerLog.error(`${what}; it stays running until the next start`, recordError);
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

/** What subscribers and analysts see: our typed LLM errors as they are; anything else only as "internal". */
function toChainError(error: unknown): ChainError {
  if (LlmError.isInstance(error)) return { class: error.name, message: error.message };
  return { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
}

/** Refused: the server is shutting down and starts no new chain. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('the server is shutting down and starts no new chains; try again shortly');
  }
}
