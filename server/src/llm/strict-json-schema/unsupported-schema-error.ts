/** A part of a zod schema that strict structured output cannot express; `path` names where it is. */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
  readonly path: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`Cannot express ${path} as a strict JSON schema: ${reason}`, options);
    this.path = path;
  }

  /** True for an UnsupportedSchemaError even from a duplicate copy of this module. */
  static isInstance(error: unknown): error is UnsupportedSchemaError {
    return error instanceof Error && error.name === 'UnsupportedSchemaError' && 'path' in error;
  }
}
