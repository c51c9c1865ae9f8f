import type { z } from 'zod';
import type { InferenceParams } from './inference-params.js';
import type { ChatMessage } from './messages.js';

/**
 * A registered inference call. `name` is the short human name analysts see in `inference_log.name`
 * ("intent recognition"): keep it stable.
 */
export interface TaskDefinition<
  Name extends string = string,
  InputSchema extends z.ZodType = z.ZodType,
  OutputSchema extends z.ZodType = z.ZodType,
> {
  name: Name;
  description?: string;
  /** Validates what callers pass; a mismatch throws InvalidTaskInputError before any provider call. */
  input: InputSchema;
  /** The structured response the model must return; every output is validated with it. */
  output: OutputSchema;
  /** Builds the conversation from the validated input. */
  prompt(input: z.output<InputSchema>): ChatMessage[];
  /** Default model as "<provider>:<model>", e.g. "openai:gpt-4.1-mini"; deployments may override it. */
  model?: string;
  params?: InferenceParams;
  /** What the offline provider answers, so demos read sensibly without a key. Must satisfy `output`. */
  offlineExample?(input: z.output<InputSchema>): z.input<OutputSchema>;
}

export type AnyTask = TaskDefinition<string, z.ZodType, z.ZodType>;
export type TaskInput<T extends AnyTask> = z.input<T['input']>;
export type TaskOutput<T extends AnyTask> = z.output<T['output']>;

/** Declares a task; the identity function that gives `ask()` its types. */
export function defineTask<Name extends string, InputSchema extends z.ZodType, OutputSchema extends z.ZodType>(
  task: TaskDefinition<Name, InputSchema, OutputSchema>,
): TaskDefinition<Name, InputSchema, OutputSchema> {
  return task;
}
