import { z } from 'zod';

/** A message arriving in the support inbox. */
export const supportMessageSchema = z.object({
  from: z.string().trim().min(1).max(320),
  subject: z.string().trim().max(300).default(''),
  body: z.string().trim().min(1).max(20_000),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;
