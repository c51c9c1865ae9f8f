import { z } from 'zod';

export const INTENTS = [
  'order_status',
  'refund_request',
  'cancellation',
  'product_question',
  'billing',
  'account_access',
  'complaint',
  'feedback',
  'other',
] as const;

export const intentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof intentSchema>;

/** The structured answer of the "intent recognition" task. */
export const intentRecognitionSchema = z.object({
  intent: intentSchema.describe('what the sender wants'),
  confidence: z.number().min(0).max(1).describe('0 to 1'),
  rationale: z.string().describe('one sentence: the words that show the intent'),
});
export type IntentRecognition = z.infer<typeof intentRecognitionSchema>;
