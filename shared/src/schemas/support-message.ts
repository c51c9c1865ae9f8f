import { z } from 'zod';
import { withoutNul } from './text.js';

/** A message arriving in the support inbox. */
export const supportMessageSchema = z.object({
  from: withoutNul(z.string().trim().min(1).max(320)),
  subject: withoutNul(z.string().trim().max(300)).default(''),
  body: withoutNul(z.string().trim().min(1).max(20_000)),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;
