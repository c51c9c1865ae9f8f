import {
  type Intent,
  intentRecognitionSchema,
  type SupportMessage,
  supportMessageSchema,
  type Urgency,
} from '@chainlog/shared';
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
        'You triage a support inbox. Classify the intent of the message and how urgent it is. ' +
        'Choose "other" when nothing fits. Confidence is your probability that the intent is right.',
    },
    { role: 'user', content: formatMessage(message) },
  ],
  offlineExample: (message) => {
    const text = `${message.subject}\n${message.body}`;
    const match = INTENT_KEYWORDS.find(([, pattern]) => pattern.test(text));
    const words = match ? text.match(match[1])?.[0] : undefined;
    const intent = match ? match[0] : 'other';
    return {
      intent,
      confidence: match ? 0.8 : 0.3,
      urgency: offlineUrgency(intent, text),
      rationale: words ? `The message says "${words}".` : 'No clear intent words in the message.',
    };
  },
});

const URGENT_WORDS = /\b(urgent|asap|immediately|today|locked out|charged twice|fraud)/i;
const URGENT_INTENTS: readonly Intent[] = ['account_access', 'billing', 'refund_request'];

function offlineUrgency(intent: Intent, text: string): Urgency {
  if (URGENT_WORDS.test(text) || URGENT_INTENTS.includes(intent)) return 'high';
  return intent === 'feedback' || intent === 'product_question' ? 'low' : 'normal';
}

export function formatMessage(message: SupportMessage): string {
  return `From: ${message.from}\nSubject: ${message.subject}\n\n${message.body}`;
}
