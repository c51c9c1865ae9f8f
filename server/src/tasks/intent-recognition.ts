import { type Intent, intentRecognitionSchema, type SupportMessage, supportMessageSchema } from '@chainlog/shared';
import { defineTask } from '../llm/task.js';

// Read in order: the first intent whose words appear wins. Only the offline provider uses this.
const INTENT_KEYWORDS: [Intent, RegExp][] = [
  ['refund_request', /\b(refund|money back|reimburs)/i],
  ['cancellation', /\b(cancel|unsubscribe)/i],
  ['account_access', /\b(password|log ?in|sign ?in|locked out|2fa|account access)/i],
  ['billing', /\b(invoice|charged|billing|payment|credit card)/i],
  ['order_status', /\b(where is|tracking|shipped|delivery|arrive|order status|not (yet )?(arrived|received))/i],
  ['complaint', /\b(disappointed|unacceptable|angry|terrible|worst|broken|damaged)/i],
  ['product_question', /\b(does it|is it|compatible|how (do|does|to)|which size|in stock)/i],
  ['feedback', /\b(love|great|thanks|thank you|suggestion)/i],
];

export const intentRecognition = defineTask({
  name: 'intent recognition',
  description: 'What does the sender of a support message want?',
  input: supportMessageSchema,
  output: intentRecognitionSchema,
  model: 'openai:gpt-4.1-mini',
  params: { temperature: 0, maxTokens: 300 },
  prompt: (message) => [
    {
      role: 'system',
      content:
        'You triage a support inbox. Classify the intent of the message. Choose "other" when nothing fits. ' +
        'Confidence is your probability that the intent is right.',
    },
    { role: 'user', content: formatMessage(message) },
  ],
  offlineExample: (message) => {
    const text = `${message.subject}\n${message.body}`;
    const match = INTENT_KEYWORDS.find(([, pattern]) => pattern.test(text));
    const words = match ? text.match(match[1])?.[0] : undefined;
    return {
      intent: match ? match[0] : 'other',
      confidence: match ? 0.8 : 0.3,
      rationale: words ? `The message says "${words}".` : 'No clear intent words in the message.',
    };
  },
});

export function formatMessage(message: SupportMessage): string {
  return `From: ${message.from}\nSubject: ${message.subject}\n\n${message.body}`;
}
