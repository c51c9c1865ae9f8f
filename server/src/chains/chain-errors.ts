import type { ChainError } from '@chainlog/shared';
import { z } from 'zod';
import { LlmError, restoreLlmError } from '../llm/errors/index.js';
import { InvalidChainInputError } from './chain-definition.js';
import { ChainChangedError } from './chain-changed-error.js';

/** What subscribers and analysts see: our typed LLM errors as they are; anything else only as "internal". */
export function toChainError(error: unknown): ChainError {
  if (LlmError.isInstance(error)) return { class: error.name, message: error.message };
  if (error instanceof ChainChangedError || error instanceof InvalidChainInputError)
    return { class: error.name, message: error.message };
  return { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
}

/**
 * What a failed step threw, as its journal keeps it (chain_event.thrown, beside the step_failed; never sent): its
 * name and message, and for our LLM errors their record and the codes their guards match.
 */
export const thrownErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  llm: z
    .object({
      class: z.string(),
      code: z.string(),
      codes: z.array(z.string()),
      message: z.string(),
      providerStatus: z.number().nullable(),
      logId: z.string().nullable(),
      details: z.unknown().optional(),
    })
    .optional(),
});
export type ThrownError = z.infer<typeof thrownErrorSchema>;

export function toThrownError(error: unknown): ThrownError {
  if (LlmError.isInstance(error)) return { name: error.name, message: error.message, llm: error.toStored() };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/**
 * A failed step's error as a resumed chain throws it again: our LLM errors pass the same guards as the original
 * (`RefusalError.isInstance`), JavaScript's own errors are of the same class, and any other is a ReplayedStepError
 * with the original's name and message (so code that catches a step's failure and goes on should tell errors apart by
 * guard or by name, not by `instanceof` of its own classes).
 */
export function rethrowable(thrown: ThrownError): Error {
  if (thrown.llm) return restoreLlmError(thrown.llm);
  const BuiltIn = BUILT_IN_ERRORS.get(thrown.name);
  return BuiltIn ? new BuiltIn(thrown.message) : new ReplayedStepError(thrown.name, thrown.message);
}

/** A step's failure thrown again on resume, of a class the runner cannot rebuild: its name and message are the original's. */
export class ReplayedStepError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const BUILT_IN_ERRORS = new Map<string, new (message?: string) => Error>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);
