import { supportMessageSchema, toPostgresText } from '@chainlog/shared';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { insertReplyDraft, insertTriage } from '../db/queries/support.js';
import { toJsonb } from '../db/jsonb.js';
import { type ChainDefinition, defineChain } from './chain-definition.js';

export const SUPPORT_TRIAGE_CHAIN = 'support-inbox triage';

export const supportTriageInputSchema = z.object({ messageId: z.string(), message: supportMessageSchema });
export type SupportTriageInput = z.infer<typeof supportTriageInputSchema>;

/**
 * The demo chain: intent recognition and entity extraction, stored as a triage row, then a reply grounded in both.
 * Every ask() and domain row carries the chain's id; the rows' ids are stable, so a resumed chain writes each once.
 */
export function supportTriage(db: Db): ChainDefinition<SupportTriageInput> {
  return defineChain({
    name: SUPPORT_TRIAGE_CHAIN,
    input: supportTriageInputSchema,
    steps: ['intent recognition', 'entity extraction', 'reply drafting'],
    async run({ chainId, ask, write, stableId }, { messageId, message }) {
      const intent = await ask('intent recognition', message);
      const entities = await ask('entity extraction', message);
      const triage = {
        id: stableId('triage'),
        chain_id: chainId,
        message_id: messageId,
        intent: intent.output.intent,
        confidence: intent.output.confidence,
        urgency: intent.output.urgency,
        entities: toJsonb(entities.output),
      };
      await write(() => insertTriage(db, triage));
      const reply = await ask('reply drafting', { message, intent: intent.output, entities: entities.output });
      const draft = {
        id: stableId('reply draft'),
        chain_id: chainId,
        message_id: messageId,
        subject: toPostgresText(reply.output.subject),
        body: toPostgresText(reply.output.body),
        tone: reply.output.tone,
        needs_human: reply.output.needsHuman,
      };
      await write(() => insertReplyDraft(db, draft));
    },
  });
}
