import { type SupportMessage, toPostgresText } from '@chainlog/shared';
import { uuidv7 } from '../uuid-v7.js';
import type { Db } from '../db/client.js';
import { insertReplyDraft, insertTriage } from '../db/queries/support.js';
import type { AppLlm } from '../tasks/index.js';
import type { ChainWork } from './chain-runner.js';
import { toJsonb } from '../db/jsonb.js';

export const SUPPORT_TRIAGE_CHAIN = 'support-inbox triage';

/**
 * The demo chain: intent recognition and entity extraction, stored as a triage row, then a reply grounded in both.
 * Every ask() and domain row carries the chain's id.
 */
export function supportTriage(dependencies: { db: Db; llm: AppLlm }, messageId: string, message: SupportMessage): ChainWork {
  const { db, llm } = dependencies;
  return async ({ chainId, step, write }) => {
    const intent = await step('intent recognition', () => llm.ask('intent recognition', message, { chainId }));
    const entities = await step('entity extraction', () => llm.ask('entity extraction', message, { chainId }));
    const triage = {
      id: uuidv7(),
      chain_id: chainId,
      message_id: messageId,
      intent: intent.output.intent,
      confidence: intent.output.confidence,
      urgency: intent.output.urgency,
      entities: toJsonb(entities.output),
    };
    await write(() => insertTriage(db, triage));
    const reply = await step('reply drafting', () =>
      llm.ask('reply drafting', { message, intent: intent.output, entities: entities.output }, { chainId }),
    );
    const draft = {
      id: uuidv7(),
      chain_id: chainId,
      message_id: messageId,
      subject: toPostgresText(reply.output.subject),
      body: toPostgresText(reply.output.body),
      tone: reply.output.tone,
      needs_human: reply.output.needsHuman,
    };
    await write(() => insertReplyDraft(db, draft));
  };
}
