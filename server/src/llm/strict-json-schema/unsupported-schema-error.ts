/** A part of a zod schema that strict structured output cannot express; `path` names where it is. */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
  readonly path: string;
  readonly reason: string;
  /** The task whose output schema it is, once known (the registry adds it). */
  readonly task: string | undefined;

  constructor(path: string, reason: string, options?: ErrorOptions & { task?: string }) {
    const where = options?.task === undefined ? '' : `Task "${options.task}": `;
    super(`${where}Cannot express ${path} as a strict JSON schema: ${reason}`, options);
    this.path = path;
    this.reason = reason;
    this.task = options?.task;
  }

  /** The same error, its message naming the task. */
  forTask(task: string): UnsupportedSchemaError {
    return new UnsupportedSchemaError(this.path, this.reason, { task, cause: this });
  }

  /** True for an UnsupportedSchemaError even from a duplicate copy of this module. */
  static isInstance(error: unknown): error is UnsupportedSchemaError {
    return error instanceof Error && error.name === 'UnsupportedSchemaError' && 'path' in error;
  }
}
