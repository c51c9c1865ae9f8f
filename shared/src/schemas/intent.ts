import { z } from 'zod';
import { INTENTS, URGENCIES } from '../value-lists.js';

export const intentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof intentSchema>;

export const urgencySchema = z.enum(URGENCIES);
export type Urgency = z.infer<typeof urgencySchema>;

/** The structured answer of the "intent recognition" task. */
export const intentRecognitionSchema = z.object({
  intent: intentSchema.describe('what the sender wants'),
  confidence: z.number().min(0).max(1).describe('0 to 1'),
  urgency: urgencySchema.describe(
    'high: money lost, access lost or a deadline; low: feedback or a question that can wait',
  ),
  rationale: z.string().describe('one sentence: the words that show the intent'),
});
export type IntentRecognition = z.infer<typeof intentRecognitionSchema>;
