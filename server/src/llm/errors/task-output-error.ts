import { LlmError, type LlmErrorOptions } from './llm-error.js';
import { errorMessage } from '../../error-message.js';

/**
 * The task's own output code failed on the model's answer: a transform or refinement of its schema threw (zod
 * passes such throws on rather than making them issues), or the output it made cannot be stored as JSON (a
 * BigInt, a cycle). A bug in the task rather than in the answer, so it is not retried; `cause` is what was thrown.
 */
export class TaskOutputError extends LlmError {
  static override readonly code = 'task_output_failed';
  constructor(taskName: string, options: LlmErrorOptions = {}) {
    super(
      `the output code of task "${taskName}" failed on the model's answer: ${errorMessage(options.cause)}`,
      options,
    );
  }
}
