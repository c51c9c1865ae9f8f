import { z } from 'zod';
import { REPLY_TONES } from '../value-lists.js';

/** The structured answer of the "reply drafting" task. */
export const replyDraftSchema = z.object({
  subject: z.string().min(1),
  body: z.string().min(1),
  tone: z.enum(REPLY_TONES),
  needsHuman: z.boolean().describe('true when an agent must act before the reply is sent (refunds, account changes)'),
});
export type ReplyDraft = z.infer<typeof replyDraftSchema>;
