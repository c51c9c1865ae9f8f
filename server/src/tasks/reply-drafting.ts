import {
  entityExtractionSchema,
  type IntentRecognition,
  intentRecognitionSchema,
  type ReplyDraft,
  replyDraftSchema,
  supportMessageSchema,
} from '@chainlog/shared';
import { z } from 'zod';
import { defineTask } from '../llm/task.js';
import { formatMessage } from './intent-recognition.js';

const replyInputSchema = z.object({
  message: supportMessageSchema,
  intent: intentRecognitionSchema,
  entities: entityExtractionSchema,
});

const OPENINGS = {
  order_status: 'Thanks for checking in about your order.',
  refund_request: "I'm sorry the purchase didn't work out for you.",
  cancellation: 'Thanks for letting us know you would like to cancel.',
  product_question: 'Thanks for your question.',
  billing: "I'm sorry for the trouble with your bill.",
  account_access: "I'm sorry you're having trouble getting into your account.",
  complaint: "I'm sorry, this is not the experience we want you to have.",
  feedback: 'Thank you for taking the time to write to us.',
  other: 'Thanks for getting in touch.',
} as const;

/** "Ann" from "Ann Lee", else "Priya" from "priya.n@example.com". */
function greetingName(person: string | undefined, from: string): string {
  const first = (person ?? from.split('@')[0] ?? '').split(/[\s._-]+/)[0] ?? '';
  return first ? first.charAt(0).toUpperCase() + first.slice(1) : 'there';
}

function followUp(intent: IntentRecognition['intent'], order: string | undefined): string {
  if (intent === 'feedback') return 'We have passed your words on to the team.';
  if (order) return `I've looked up order ${order} and a member of our team will follow up with the details.`;
  return 'A member of our team will follow up shortly.';
}

function offlineTone(intent: IntentRecognition['intent']): ReplyDraft['tone'] {
  if (intent === 'feedback') return 'appreciative';
  return intent === 'complaint' || intent === 'refund_request' || intent === 'billing' ? 'apologetic' : 'helpful';
}

export const replyDrafting = defineTask({
  name: 'reply drafting',
  description: 'A reply to a support message, grounded in its intent and entities.',
  input: replyInputSchema,
  output: replyDraftSchema,
  model: 'openai:gpt-4.1-mini',
  params: { temperature: 0.3, maxTokens: 800 },
  prompt: ({ message, intent, entities }) => [
    {
      role: 'system',
      content:
        'You draft replies for a support team. Be brief, warm and specific: refer to the order numbers and products ' +
        'given, promise nothing the team has not confirmed, and set needsHuman when an agent must act first.',
    },
    {
      role: 'user',
      content: `${formatMessage(message)}\n\nIntent: ${JSON.stringify(intent)}\nEntities: ${JSON.stringify(entities)}`,
    },
  ],
  offlineExample: ({ message, intent, entities }) => {
    const name = greetingName(entities.people[0], message.from);
    const order = entities.orderNumbers[0];
    const needsHuman = ['refund_request', 'cancellation', 'billing', 'account_access'].includes(intent.intent);
    const lines = [
      `Hi ${name},`,
      '',
      OPENINGS[intent.intent],
      followUp(intent.intent, order),
      needsHuman ? 'We will confirm the next steps with you before anything changes on your account.' : '',
      '',
      'Best regards,',
      'The Support Team',
    ];
    return {
      subject: `Re: ${message.subject || 'your message'}`,
      body: lines.filter((line, index) => line !== '' || lines[index - 1] !== '').join('\n'),
      tone: offlineTone(intent.intent),
      needsHuman,
    };
  },
});
