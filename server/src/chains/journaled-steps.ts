import type { ChainEventPayload } from '@chainlog/shared';
import { v5 as uuidv5 } from 'uuid';
import type { AskOptions, AskResult } from '../llm/ask.js';
import { runInStep } from '../llm/chain-context.js';
import { LlmError } from '../llm/errors/index.js';
import { log } from '../log.js';
import type { AppLlm } from '../tasks/index.js';
import type { ChainRun } from './chain-definition.js';
import { rethrowable, toChainError, toThrownError } from './chain-errors.js';
import { ChainTakenOverError } from './chain-events.js';
import type { ChainJournal } from './chain-journal.js';
import type { ChainLifecycle } from './chain-lifecycle.js';

const stepsLog = log.withTag('chains');

type StepFinished = Extract<ChainEventPayload, { type: 'step_finished' }>;

export interface JournaledStepsOptions {
  chainId: string;
  /** What the chain stored before this run of it: its finished steps are replayed from it. */
  journal: ChainJournal;
  llm: AppLlm;
  lifecycle: ChainLifecycle;
  /** Whether a step's error comes from the shutdown (its call aborted): the chain is then resumed, not failed. */
  stoppedByShutdown(error: unknown): boolean;
}

/**
 * The ChainRun a chain's work gets: each step is numbered in the order the work asks for it, recorded (step_started,
 * then step_finished or step_failed), and, when the journal holds its result, replayed instead of called.
 */
export function journaledRun(options: JournaledStepsOptions): ChainRun {
  const { chainId, journal, llm, lifecycle } = options;
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
      if (!journal.hasFinished(number)) await lifecycle.record(chainId, journaled.finished);
      return replayed(chainId, journaled.finished, replayOutput);
    }
    // It failed before and the chain's code went on: the same failure, rather than a second call.
    if (journaled.kind === 'failed') throw rethrowable(journaled.thrown);
    await lifecycle.record(chainId, { type: 'step_started', step: number, name });
    let result: AskResult<Output>;
    try {
      // Every ask() in the call is logged as this step's, so a resume finds its calls whatever they are named.
      result = await runInStep(
        chainId,
        number,
        () => call({ firstAttempt: journaled.firstAttempt }),
        journaled.resumed,
      );
    } catch (error) {
      // A step stopped by a shutdown is resumed elsewhere, not failed; one taken over is already another's.
      if (options.stoppedByShutdown(error) || error instanceof ChainTakenOverError) throw error;
      const logId = LlmError.isInstance(error) ? (error.logId ?? null) : null;
      const failed: ChainEventPayload = { type: 'step_failed', step: number, name, error: toChainError(error), logId };
      // The step's own error is what the chain fails with, even if recording it fails too.
      await lifecycle
        .record(chainId, failed, toThrownError(error))
        .catch((recordError: unknown) =>
          stepsLog.error(`chain ${chainId}: could not record step ${number} failing`, recordError),
        );
      throw error;
    }
    // Outside the try: a step whose end cannot be recorded did not fail, and is replayed from its log row on resume.
    await lifecycle.record(chainId, {
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
    write: (work) => lifecycle.whileReachable(work),
    stableId: (key) => uuidv5(key, chainId),
  };
}

/** A finished step's result as its journal stored it. */
function replayed<Output>(
  chainId: string,
  stored: StepFinished,
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
