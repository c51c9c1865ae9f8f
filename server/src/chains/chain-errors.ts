import type { ChainError } from '@chainlog/shared';
import { LlmError } from '../llm/errors/index.js';
import { InvalidChainInputError } from './chain-definition.js';
import { ChainChangedError } from './chain-journal.js';

/** What subscribers and analysts see: our typed LLM errors as they are; anything else only as "internal". */
export function toChainError(error: unknown): ChainError {
  if (LlmError.isInstance(error)) return { class: error.name, message: error.message };
  if (error instanceof ChainChangedError || error instanceof InvalidChainInputError)
    return { class: error.name, message: error.message };
  return { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
}
