import type { ChainEventPayload } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { listChainEventsAfter } from '../db/queries/chains.js';
import { listChainLogSummaries } from '../db/queries/inference-log.js';
import { toChainEvent } from './chain-events.js';

type StepFinished = Extract<ChainEventPayload, { type: 'step_finished' }>;

/** The chain's code asked for other steps than the ones its stored run made: its journal cannot be replayed. */
export class ChainChangedError extends Error {
  override name = 'ChainChangedError';
  constructor(step: number, recorded: string, asked: string) {
    super(`step ${step} was "${recorded}" when this chain ran before, and is now "${asked}": the chain's code changed, so it cannot resume`);
  }
}

/** How many log rows of a chain a resume reads to number a step's next attempt: a demo-sized chain has a handful. */
const JOURNAL_LOG_ROWS = 10_000;

/**
 * What a chain stored before this run of it, read once as it starts: the inference log and the chain's events are
 * its journal. A step that finished is replayed from its step_finished event (its output, log id, usage and cost)
 * instead of being called again; a step that started and did not finish is called again, numbered after its
 * attempts that were cut off.
 */
export class ChainJournal {
  private constructor(
    readonly started: boolean,
    private readonly steps: ReadonlyMap<number, { name: string; finished: StepFinished | undefined }>,
    private readonly lastAttempts: ReadonlyMap<string, { attempt: number; ok: boolean }>,
  ) {}

  static empty(): ChainJournal {
    return new ChainJournal(false, new Map(), new Map());
  }

  static async load(db: Db, chainId: string): Promise<ChainJournal> {
    const [events, rows] = await Promise.all([listChainEventsAfter(db, chainId, null), listChainLogSummaries(db, chainId, JOURNAL_LOG_ROWS)]);
    const steps = new Map<number, { name: string; finished: StepFinished | undefined }>();
    let started = false;
    for (const event of events) {
      const { payload } = toChainEvent(event);
      if (payload.type === 'chain_started') started = true;
      if (payload.type === 'step_started') steps.set(payload.step, { name: payload.name, finished: undefined });
      if (payload.type === 'step_finished') steps.set(payload.step, { name: payload.name, finished: payload });
    }
    const lastAttempts = new Map<string, { attempt: number; ok: boolean }>();
    for (const row of rows) lastAttempts.set(row.name, { attempt: row.attempt, ok: row.status === 'ok' });
    return new ChainJournal(started, steps, lastAttempts);
  }

  /**
   * The stored end of step `step` when it finished before; undefined when it must run.
   * @throws ChainChangedError when the stored run's step of that number had another name.
   */
  finished(step: number, name: string): StepFinished | undefined {
    const recorded = this.steps.get(step);
    if (recorded && recorded.name !== name) throw new ChainChangedError(step, recorded.name, name);
    return recorded?.finished;
  }

  /** The attempt number a step runs from: after the cut-off attempts of a step that started before, else 1. */
  firstAttempt(step: number, name: string): number {
    if (!this.steps.has(step)) return 1;
    const last = this.lastAttempts.get(name);
    return last && !last.ok ? last.attempt + 1 : 1;
  }
}
