import type { ChainEventPayload } from '@chainlog/shared';
import type { Db } from '../db/client.js';
import { listChainEventsAfter } from '../db/queries/chains.js';
import { type JournalLogRow, listChainJournalRows } from '../db/queries/inference-log.js';
import type { ResumedCall } from '../llm/chain-context.js';
import { ChainChangedError } from './chain-changed-error.js';
import { type ThrownError, thrownErrorSchema } from './chain-errors.js';
import { toChainEvent } from './chain-events.js';

type StepFinished = Extract<ChainEventPayload, { type: 'step_finished' }>;

/** A step as its last stored event left it: started, finished (with its result) or failed (with what it threw). */
interface StoredStep {
  name: string;
  finished?: StepFinished;
  failed?: ThrownError;
}

/**
 * What a stored step gives a resumed run: its finished call, what it threw when it failed, or the attempt number its
 * call goes on from.
 */
export type JournaledStep =
  | { kind: 'finished'; finished: StepFinished }
  | { kind: 'failed'; thrown: ThrownError }
  | { kind: 'run'; firstAttempt: number; resumed?: ResumedCall };

/**
 * What a chain stored before this run of it, read once as it starts: the inference log and the chain's events are
 * its journal. A step that finished is replayed from its step_finished event (its output, log id, usage and cost)
 * instead of being called again; one that failed (its failure caught by the chain's code, which went on) throws what
 * it threw again (chain-errors.ts), kept beside its step_failed event. A step that started and did not finish is replayed from its last call's log row
 * when that call finished `ok` (the process died before it stored step_finished); otherwise it is called again,
 * numbered after its attempts that were cut off. A step's log rows are those the runner logged as its
 * (inference_log.chain_step), whatever the step and its task are named. In a chain logged before steps were recorded
 * there (none of its rows names one), a step's rows are those of its task's name that no finished step claims.
 */
export class ChainJournal {
  private constructor(
    readonly started: boolean,
    private readonly steps: ReadonlyMap<number, StoredStep>,
    /** The chain's log rows by the step they name; without any, the rows of a chain logged before steps were. */
    private readonly rowsByStep: ReadonlyMap<number, readonly JournalLogRow[]>,
    private readonly unclaimedUnnumbered: readonly JournalLogRow[],
  ) {}

  static async load(db: Db, chainId: string): Promise<ChainJournal> {
    const [events, rows] = await Promise.all([
      listChainEventsAfter(db, chainId, null),
      listChainJournalRows(db, chainId),
    ]);
    const steps = new Map<number, StoredStep>();
    let started = false;
    for (const event of events) {
      const { payload } = toChainEvent(event);
      if (payload.type === 'chain_started') started = true;
      if (payload.type === 'step_started') steps.set(payload.step, { name: payload.name });
      if (payload.type === 'step_finished') steps.set(payload.step, { name: payload.name, finished: payload });
      if (payload.type === 'step_failed') {
        const thrown = thrownErrorSchema.safeParse(event.thrown);
        // Stored before what a step threw was kept: thrown again as what subscribers were told.
        const failed = thrown.success ? thrown.data : { name: payload.error.class, message: payload.error.message };
        steps.set(payload.step, { name: payload.name, failed });
      }
    }
    const rowsByStep = new Map<number, JournalLogRow[]>();
    for (const row of rows) {
      if (row.chain_step === null) continue;
      const stepRows = rowsByStep.get(row.chain_step) ?? [];
      stepRows.push(row);
      rowsByStep.set(row.chain_step, stepRows);
    }
    const claimed = new Set([...steps.values()].flatMap((step) => (step.finished ? [step.finished.logId] : [])));
    // Calls outside any step are logged without one too: matched by name only in a chain that numbered none.
    const unnumbered = rowsByStep.size > 0 ? [] : rows.filter((row) => !claimed.has(row.id));
    return new ChainJournal(started, steps, rowsByStep, unnumbered);
  }

  /** Whether the step's step_finished is stored. */
  hasFinished(step: number): boolean {
    return this.steps.get(step)?.finished !== undefined;
  }

  /**
   * How step `step` named `name` goes on: replayed from what finished or failed before, or run from an attempt number.
   * @throws ChainChangedError when the stored run's step of that number had another name.
   */
  step(step: number, name: string): JournaledStep {
    const recorded = this.steps.get(step);
    if (recorded && recorded.name !== name) throw new ChainChangedError(step, recorded.name, name);
    if (recorded?.finished) return { kind: 'finished', finished: recorded.finished };
    if (recorded?.failed) return { kind: 'failed', thrown: recorded.failed };
    if (!recorded) return { kind: 'run', firstAttempt: 1 };
    const rows = this.rowsByStep.get(step) ?? this.unclaimedUnnumbered.filter((row) => row.name === name);
    // The step's result is its last call's: a step that made calls after one that answered had not finished.
    const last = rows.at(-1);
    if (last?.status === 'ok') return { kind: 'finished', finished: finishedFrom(step, name, last) };
    const firstAttempt = Math.max(0, ...rows.map((row) => row.attempt)) + 1;
    // Its last call was cut off: the same task asked again from the next attempt goes on as that call.
    if (!last) return { kind: 'run', firstAttempt };
    return { kind: 'run', firstAttempt, resumed: { name: last.name, firstAttempt, callId: last.call_id ?? last.id } };
  }
}

/** The step_finished its run never stored, from its call's `ok` log row. */
function finishedFrom(step: number, name: string, row: JournalLogRow): StepFinished {
  return {
    type: 'step_finished',
    step,
    name,
    output: row.output,
    logId: row.id,
    provider: row.provider,
    model: row.model,
    latencyMs: row.latency_ms ?? 0,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
  };
}
