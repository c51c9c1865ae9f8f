import type { EntityExtraction, IntentRecognition, ReplyDraft } from '@chainlog/shared';
import type { FakeReply, FakeResponder, RecordedRequest } from './fake-provider.js';
import { within } from './llm-harness.js';

/** What the fake answers for each task of the support-triage chain, by the schema name the OpenAI adapter sends. */
export const TRIAGE_ANSWERS = {
  intent_recognition: {
    intent: 'order_status',
    confidence: 0.91,
    urgency: 'normal',
    rationale: 'The sender asks where the order is.',
  } satisfies IntentRecognition,
  entity_extraction: {
    orderNumbers: ['A-1042'],
    products: [],
    people: ['Ada'],
    dates: [],
    amounts: [],
  } satisfies EntityExtraction,
  reply_drafting: {
    subject: 'Re: Where is my order?',
    body: 'Hi Ada,\n\nOrder A-1042 is on its way; we will send the tracking link today.\n\nThe Support Team',
    tone: 'helpful',
    needsHuman: false,
  } satisfies ReplyDraft,
} as const;

type TriageSchemaName = keyof typeof TRIAGE_ANSWERS;

/** The schema name of an OpenAI request (`response_format.json_schema.name`), or undefined. */
export function schemaNameOf(request: RecordedRequest): string | undefined {
  const body = request.body;
  if (typeof body !== 'object' || body === null || !('response_format' in body)) return undefined;
  const format = body.response_format;
  if (typeof format !== 'object' || format === null || !('json_schema' in format)) return undefined;
  const jsonSchema = format.json_schema;
  if (typeof jsonSchema !== 'object' || jsonSchema === null || !('name' in jsonSchema)) return undefined;
  return typeof jsonSchema.name === 'string' ? jsonSchema.name : undefined;
}

/** The triage answer for the task a request is for; a 400 naming the schema when it is no triage task. */
export function triageReply(request: RecordedRequest): FakeReply {
  const name = schemaNameOf(request);
  if (name !== undefined && isTriageSchemaName(name)) return { kind: 'json', value: TRIAGE_ANSWERS[name] };
  return { kind: 'status', status: 400, message: `fake provider: no triage answer for schema ${name ?? '(none)'}` };
}

function isTriageSchemaName(name: string): name is TriageSchemaName {
  return Object.hasOwn(TRIAGE_ANSWERS, name);
}

/** A request the fake is holding: nothing goes back to the caller until `release`. */
export interface HeldRequest {
  request: RecordedRequest;
  /** Answers with `reply`, by default the triage answer for the request's task. */
  release(reply?: FakeReply): void;
}

/**
 * A responder for the fake provider that holds every request until the test releases it, so a test decides when
 * each step of a chain finishes. Use as `fake.respondWith(gate.respond)`.
 */
export class ReplyGate {
  private readonly arrived: HeldRequest[] = [];
  private readonly waiting: ((held: HeldRequest) => void)[] = [];

  readonly respond: FakeResponder = (request) =>
    new Promise<FakeReply>((resolve) => {
      const held: HeldRequest = { request, release: (reply = triageReply(request)) => resolve(reply) };
      const waiter = this.waiting.shift();
      if (waiter) waiter(held);
      else this.arrived.push(held);
    });

  /** The next request to arrive (or the oldest one not taken yet); rejects after `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<HeldRequest> {
    const held = this.arrived.shift();
    if (held) return Promise.resolve(held);
    return within(
      new Promise<HeldRequest>((resolve) => this.waiting.push(resolve)),
      timeoutMs,
      'the next provider request',
    );
  }

  /** Takes the next request and answers it with its triage answer; resolves with what was released. */
  async releaseNext(timeoutMs = 5_000): Promise<HeldRequest> {
    const held = await this.next(timeoutMs);
    held.release();
    return held;
  }
}
