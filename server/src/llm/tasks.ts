import { describeNonPostgresText } from '@chainlog/shared';
import { toJsonb } from '../db/jsonb.js';
import { UnknownTaskError } from './errors/index.js';
import { RequestTemplates } from './request-template.js';
import { type StrictJsonSchema, UnsupportedSchemaError, toStrictJsonSchema } from './strict-json-schema/index.js';
import type { AnyTask } from './task.js';

/** A task with what is derived from it once, at registration. */
export interface RegisteredTask {
  definition: AnyTask;
  /**
   * The strict schema providers receive (adapters with narrower rules, like Anthropic's, derive theirs from it),
   * and the decoder back to the task's own shape.
   */
  strictOutput: StrictJsonSchema;
  /** A provider-safe identifier (OpenAI: ^[a-zA-Z0-9_-]{1,64}$). */
  schemaName: string;
  /**
   * What every request of the task repeats (`{ name: schemaName, schema: strictOutput.schema }` and its system
   * prompts), serialized and hashed once rather than at every call (requestParts).
   */
  requestTemplates: RequestTemplates;
}

/** The tasks a process knows, by short name. */
export class TaskRegistry {
  private readonly byName = new Map<string, RegisteredTask>();

  constructor(tasks: readonly AnyTask[]) {
    for (const task of tasks) this.register(task);
  }

  private register(task: AnyTask): RegisteredTask {
    if (this.byName.has(task.name)) throw new Error(`a task named "${task.name}" is already registered`);
    const problem = describeNonPostgresText(task.name);
    // Every log row of the task carries its name: refused here, at start-up, rather than at each call's write.
    if (problem)
      throw new Error(
        `the task name ${JSON.stringify(task.name)} must not contain ${problem}: PostgreSQL cannot store it`,
      );
    const strictOutput = strictOutputOf(task);
    const schemaName = toSchemaName(task.name);
    const requestTemplates = new RequestTemplates(toJsonb({ name: schemaName, schema: strictOutput.schema }));
    const registered = { definition: task, strictOutput, schemaName, requestTemplates };
    this.byName.set(task.name, registered);
    return registered;
  }

  /** @throws UnknownTaskError listing the known names. */
  get(name: string): RegisteredTask {
    const task = this.byName.get(name);
    if (!task) throw new UnknownTaskError(name, this.names());
    return task;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** @throws UnsupportedSchemaError naming the task and the path in its output schema. */
function strictOutputOf(task: AnyTask): StrictJsonSchema {
  try {
    return toStrictJsonSchema(task.output);
  } catch (error) {
    throw UnsupportedSchemaError.isInstance(error) ? error.forTask(task.name) : error;
  }
}

function toSchemaName(taskName: string): string {
  return (
    taskName
      .replace(/[^a-zA-Z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'output'
  );
}
