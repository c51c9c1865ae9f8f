import type { z } from 'zod';

/** PostgreSQL text cannot hold NUL: refuse it as bad input rather than fail the write or the query. */
export function withoutNul(schema: z.ZodString): z.ZodString {
  return schema.regex(/^[^\u0000]*$/, 'must not contain NUL characters');
}
