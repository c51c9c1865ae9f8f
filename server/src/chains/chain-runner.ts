import type { ChainError } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { finishChain } from '../db/queries/chains.js';
import type { AskResult } from '../llm/ask.js';
import { runInChain } from '../llm/chain-context.js';
import { LlmError } from '../llm/errors/index.js';
import { log } from '../log.js';
import { recordChainEvent } from './chain-events.js';
import type { ChainEventBus } from './event-bus.js';

const runnerLog = log.withTag('chains');

/** What a chain's work gets: its id and a `step` that reports each call as it starts and ends. */
export interface ChainRun {
  chainId: string;
  /** Runs one named step (usually one `ask()`), recording step_started, then step_finished or step_failed. */
  step<Output>(name: string, call: () => Promise<AskResult<Output>>): Promise<AskResult<Output>>;
}

export type ChainWork = (run: ChainRun) => Promise<void>;

export interface ChainRunnerOptions {
  db: Db;
  bus: ChainEventBus;
  /** Chains running at once; the rest wait in submission order. */
  maxRunning: number;
}

/**
 * Runs submitted chains in the background, at most `maxRunning` at a time, first come first served. The chain row
 * must exist (status running) before `enqueue`; the runner writes its events and its final status.
 */
export class ChainRunner {
  private readonly waiting: { chainId: string; work: ChainWork }[] = [];
  private readonly active = new Set<Promise<void>>();
  private accepting = true;

  constructor(private readonly options: ChainRunnerOptions) {}

  enqueue(chainId: string, work: ChainWork): void {
    if (!this.accepting) throw new Error('the chain runner is shutting down');
    this.waiting.push({ chainId, work });
    this.startWaiting();
  }

  counts(): { running: number; waiting: number } {
    return { running: this.active.size, waiting: this.waiting.length };
  }

  /** Stops starting chains and waits for the running ones; false if `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    this.waiting.length = 0;
    if (this.active.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = await Promise.race([Promise.allSettled([...this.active]).then(() => true as const), timedOut]);
    clearTimeout(timer);
    return drained;
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
    const record = (payload: Parameters<typeof recordChainEvent>[3]) => recordChainEvent(db, bus, chainId, payload);
    let stepCount = 0;
    const run: ChainRun = {
      chainId,
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
          await record({ type: 'step_failed', step, name, error: toChainError(error), logId: LlmError.isInstance(error) ? (error.logId ?? null) : null });
          throw error;
        }
      },
    };
    try {
      await record({ type: 'chain_started' });
      await runInChain(chainId, () => work(run));
      await finishChain(db, chainId, 'succeeded', null);
      await record({ type: 'chain_finished', status: 'succeeded', error: null });
    } catch (error) {
      runnerLog.warn(`chain ${chainId} failed`, error);
      const chainError = toChainError(error);
      try {
        await finishChain(db, chainId, 'failed', chainError);
        await record({ type: 'chain_finished', status: 'failed', error: chainError });
      } catch (recordError) {
        runnerLog.error(`chain ${chainId}: could not record its failure`, recordError);
      }
    }
  }
}

function toChainError(error: unknown): ChainError {
  if (error instanceof Error) return { class: error.name, message: error.message };
  return { class: 'Error', message: String(error) };
}
