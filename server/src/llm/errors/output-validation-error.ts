import type { z } from 'zod';
import { LlmError, type LlmErrorOptions } from './llm-error.js';

/** The model's JSON does not match the task's output schema. Retried with the issues fed back. */
export class OutputValidationError extends LlmError {
  static override readonly code = 'output_invalid';
  constructor(
    readonly issues: z.core.$ZodIssue[],
    options: LlmErrorOptions = {},
  ) {
    super(`the model's output does not match the schema: ${describeIssues(issues)}`, options);
  }
  protected override details(): unknown {
    return { issues: this.issues };
  }
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
