import { z } from 'zod';
import { postgresText } from './text.js';

/** A message arriving in the support inbox. */
export const supportMessageSchema = z.object({
  from: postgresText(z.string().trim().min(1).max(320)),
  subject: postgresText(z.string().trim().max(300)).default(''),
  body: postgresText(z.string().trim().min(1).max(20_000)),
});
export type SupportMessage = z.infer<typeof supportMessageSchema>;
