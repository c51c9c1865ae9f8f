import { z } from 'zod';

// PostgreSQL text cannot hold NUL: refuse it as bad input rather than fail the write.
const NO_NUL = /^[^\u0000]*$/;
const noNul = 'must not contain NUL characters';

/** A message arriving in the support inbox. */
export const supportMessageSchema = z.object({
  from: z.string().trim().min(1).max(320).regex(NO_NUL, noNul),
  subject: z.string().trim().max(300).regex(NO_NUL, noNul).default(''),
  body: z.string().trim().min(1).max(20_000).regex(NO_NUL, noNul),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;
