import type { EntityExtraction } from './schemas/entities.js';
import type { IntentRecognition } from './schemas/intent.js';
import type { ReplyDraft } from './schemas/reply.js';
import { INTENTS, REPLY_TONES, URGENCIES } from './value-lists.js';

// The demo tasks' outputs checked without zod, for the client's chain page (zod is 24 KB gzip of a 70 KB page).
// output-guards.test.ts holds each guard to its schema's safeParse over generated values, so the two cannot drift.

type Fields = { readonly [key: string]: unknown };

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return values.some((candidate) => candidate === value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Whether `value` is what `intentRecognitionSchema` accepts. */
export function isIntentRecognition(value: unknown): value is IntentRecognition {
  if (!isObject(value)) return false;
  const { intent, confidence, urgency, rationale } = value;
  return (
    isOneOf(INTENTS, intent) &&
    typeof confidence === 'number' &&
    Number.isFinite(confidence) &&
    confidence >= 0 &&
    confidence <= 1 &&
    isOneOf(URGENCIES, urgency) &&
    typeof rationale === 'string'
  );
}

/** Whether `value` is what `entityExtractionSchema` accepts. */
export function isEntityExtraction(value: unknown): value is EntityExtraction {
  if (!isObject(value)) return false;
  const { orderNumbers, products, people, dates, amounts } = value;
  return [orderNumbers, products, people, dates, amounts].every(isStringArray);
}

/** Whether `value` is what `replyDraftSchema` accepts. */
export function isReplyDraft(value: unknown): value is ReplyDraft {
  if (!isObject(value)) return false;
  const { subject, body, tone, needsHuman } = value;
  return (
    typeof subject === 'string' &&
    subject.length > 0 &&
    typeof body === 'string' &&
    body.length > 0 &&
    isOneOf(REPLY_TONES, tone) &&
    typeof needsHuman === 'boolean'
  );
}
