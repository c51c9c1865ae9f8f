import type { z } from 'zod';
import { LlmError } from './llm-error.js';
import { describeIssues } from './output-validation-error.js';

/** The input given to a task does not match the task's input schema; nothing was sent to a provider. */
export class InvalidTaskInputError extends LlmError {
  static override readonly code = 'invalid_input';
  constructor(
    readonly taskName: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`invalid input for task "${taskName}": ${describeIssues(issues)}`);
  }
  protected override details(): unknown {
    return { issues: this.issues };
  }
}
