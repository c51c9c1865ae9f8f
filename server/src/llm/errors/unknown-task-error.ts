import { LlmError } from './llm-error.js';

/** `ask()` was given a name no task is registered under. */
export class UnknownTaskError extends LlmError {
  static override readonly code = 'unknown_task';
  constructor(
    readonly taskName: string,
    readonly knownNames: readonly string[],
  ) {
    super(
      `no task is registered as "${taskName}"; known tasks: ${knownNames.map((name) => `"${name}"`).join(', ') || 'none'}`,
    );
  }
}
