import { DATABASE_ERROR_FIELDS } from '../src/db/pglite-worker/messages.js';

/** What a rejected statement threw, to compare field by field. */
export async function failureOf(statement: Promise<unknown>): Promise<Error> {
  const error: unknown = await statement.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof Error)) throw new Error(`the statement did not fail with an Error: ${String(error)}`);
  return error;
}

/** The message and PostgreSQL's fields of a database error, and any `extra` properties named. */
export function databaseFields(error: Error, extra: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries([
    ['message', error.message],
    ...[...extra, ...DATABASE_ERROR_FIELDS].map((field) => [field, Reflect.get(error, field)]),
  ]);
}
