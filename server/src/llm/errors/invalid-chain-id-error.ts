import { LlmError } from './llm-error.js';

/** A chain id that is not a UUID: chain_id is a uuid column, so the call is refused before any provider call. */
export class InvalidChainIdError extends LlmError {
  static override readonly code = 'invalid_chain_id';
  constructor(readonly chainId: string) {
    super(`chain id "${chainId.slice(0, 80)}" is not a UUID; omit it to start a new chain`);
  }
}
