/**
 * More than one connection was asked of a database that is a single session: PostgreSQL's single-user mode, which
 * an embedded PGlite runs. A second connection would wait for the first to be given back, forever.
 */
export class SingleSessionError extends Error {
  override readonly name = 'SingleSessionError';

  constructor(readonly connections: number) {
    super(`${connections} connections were asked of a database that is a single session (an embedded PGlite): use one`);
  }

  /** True for a SingleSessionError even from a duplicate copy of this module. */
  static isInstance(error: unknown): error is SingleSessionError {
    return error instanceof Error && error.name === 'SingleSessionError' && 'connections' in error;
  }
}
