import { entityExtractionSchema, supportMessageSchema } from '@chainlog/shared';
import { defineTask } from '../llm/task.js';
import { formatMessage } from './intent-recognition.js';

// Only the offline provider uses these: good enough to pull what a demo message contains.
const ORDER_NUMBER = /\b(?:order|ref(?:erence)?|#)\s*(?:no\.?|number|#)?\s*:?\s*([A-Z]{0,4}-?\d{3,}[A-Z0-9-]*)/gi;
const DATE =
  /\b(?:\d{4}-\d{2}-\d{2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|tomorrow|last week|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?)\b/gi;
const AMOUNT = /(?:[$€£]\s?\d+(?:[.,]\d{2})?|\b\d+(?:[.,]\d{2})? ?(?:USD|EUR|GBP|dollars|euros)\b)/gi;
const PRODUCT = /\b(?:my|the|a|an)\s+((?:[A-Z][\w-]*\s?){1,3}(?:\d+\w*)?)/g;
const SIGNATURE = /(?:^|\n)\s*(?:thanks|thank you|regards|best|cheers)[,!.]?\s*\n\s*([A-Z][a-z]+(?: [A-Z][a-z]+)?)/i;

export const entityExtraction = defineTask({
  name: 'entity extraction',
  description: 'Which orders, products, people, dates and amounts does a support message mention?',
  input: supportMessageSchema,
  output: entityExtractionSchema,
  model: 'openai:gpt-4.1-mini',
  params: { temperature: 0, maxTokens: 500 },
  prompt: (message) => [
    {
      role: 'system',
      content:
        'Extract the entities of a support message. Copy each exactly as written; leave a list empty when the ' +
        'message names none. Do not invent order numbers.',
    },
    { role: 'user', content: formatMessage(message) },
  ],
  offlineExample: (message) => {
    const text = `${message.subject}\n${message.body}`;
    const signature = message.body.match(SIGNATURE)?.[1];
    return {
      orderNumbers: unique([...text.matchAll(ORDER_NUMBER)].map((match) => match[1] ?? '')),
      products: unique([...text.matchAll(PRODUCT)].map((match) => (match[1] ?? '').trim())),
      people: signature ? [signature] : [],
      dates: unique(text.match(DATE) ?? []),
      amounts: unique(text.match(AMOUNT) ?? []),
    };
  },
});

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value.length > 0))];
}
