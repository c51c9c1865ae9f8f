import type { z } from 'zod';
import type { AskResult } from '../llm/ask.js';
import type { AppLlm } from '../tasks/index.js';

/**
 * What a chain's work gets. Its steps are journaled: when the chain resumes on another instance (or after a
 * restart), every step that finished before is replayed from what was stored, not called again, so the work must
 * make the same steps in the same order for the same input (decide by step outputs, not by clocks or randomness).
 */
export interface ChainRun {
  chainId: string;
  /** `ask()` as one step of this chain, named after its task: the call joins the chain and is replayed on resume. */
  ask: AppLlm['ask'];
  /**
   * Runs one named step around an `ask()` of your own (another Llm, options of your own), recording step_started,
   * then step_finished or step_failed. Every `ask()` the call makes in this chain is logged as the step's
   * (inference_log.chain_step), whatever the step and the task are named. On resume a finished step returns its
   * stored result, its output as stored (JSON); a step whose process died after its last call answered `ok` and
   * before the step's end was stored returns that call's result from its log row, so return the result of your last
   * `ask()` as it is and reshape it after the step. A step that failed throws the same error again on resume instead
   * of being called (code that catches it and goes on takes the same path): our LLM errors pass the same `isInstance`
   * guards, JavaScript's own errors are of the same class, any other is a ReplayedStepError of the same name and
   * message. `firstAttempt` numbers the call's attempts after those of a run that was cut off: pass it to `ask()`.
   */
  step<Output>(
    name: string,
    call: (resume: { firstAttempt: number }) => Promise<AskResult<Output>>,
  ): Promise<AskResult<Output>>;
  /**
   * Runs one of the chain's own database writes (its domain rows). It may run again (when the database was
   * unreachable, or when the chain resumes after dying mid-write), so it must be idempotent: insert rows whose ids
   * come from `stableId`, `on conflict do nothing`.
   */
  write(work: () => Promise<void>): Promise<void>;
  /** A UUID that is the same for this chain and `key` on every run of it: the id of a domain row the chain writes. */
  stableId(key: string): string;
}

/** A kind of chain: its name (the chain row's), its input's schema, and its work. */
export interface ChainDefinition<Input = unknown> {
  name: string;
  input: z.ZodType<Input>;
  /**
   * The steps a run usually takes, in order, by the names it gives them: while a chain runs, its page shows those
   * still to come. Only a plan: `run` decides what it calls (a step it skips is just not shown once the chain ends).
   */
  steps?: readonly string[];
  run(run: ChainRun, input: Input): Promise<void>;
}

/** A chain kind as the runner keeps it, by name: it starts a stored chain from its stored input. */
export interface RegisteredChain {
  name: string;
  /** Its definition's planned steps ([] when it declares none). */
  steps: readonly string[];
  /** @throws InvalidChainInputError when the stored input does not match the chain's input schema. */
  start(run: ChainRun, storedInput: unknown): Promise<void>;
}

/** The stored input of a chain does not match its kind's input schema (the schema changed since it was stored). */
export class InvalidChainInputError extends Error {
  override name = 'InvalidChainInputError';
  constructor(chainName: string) {
    super(`the stored input does not match the input schema of chain "${chainName}"`);
  }
}

/** Typed by its input schema; `registered(definition)` gives the runner what it keeps. */
export function defineChain<Input>(definition: ChainDefinition<Input>): ChainDefinition<Input> {
  return definition;
}

export function registered<Input>(definition: ChainDefinition<Input>): RegisteredChain {
  return {
    name: definition.name,
    steps: definition.steps ?? [],
    start(run, storedInput) {
      const input = definition.input.safeParse(storedInput);
      if (!input.success) throw new InvalidChainInputError(definition.name);
      return definition.run(run, input.data);
    },
  };
}
