import type { SupportMessage } from '@chainlog/shared';
import { uuidv7 } from '../uuid-v7.js';
import { ShuttingDownError } from '../chains/chain-runner.js';
import { SUPPORT_TRIAGE_CHAIN, supportTriage } from '../chains/support-triage.js';
import type { Db } from '../db/client.js';
import { insertChain } from '../db/queries/chains.js';
import { retryWhileUnreachable } from '../db/database-status.js';
import { insertInboxMessage, listInboxMessages, removeUnconfirmedSubmission } from '../db/queries/support.js';
import type { NewChain } from '../db/tables/chain.js';
import { log } from '../log.js';
import type { AppDependencies } from '../trpc/context.js';
import { newChainId } from '../llm/chain-context.js';
import { type Page, pageOf } from './page.js';
import { toJsonb } from '../db/jsonb.js';

const inboxLog = log.withTag('inbox');

type SubmitDependencies = Pick<AppDependencies, 'db' | 'llm' | 'chains' | 'instanceId' | 'databaseStatus' | 'outageWaitMs'>;

/**
 * Stores the message and its chain (status running) in one transaction, then queues the triage chain and returns
 * at once: the caller follows progress through chains.events. When shutdown begins while the message is being
 * stored, the message stays and its chain ends as interrupted.
 * @throws ShuttingDownError when the server was already shutting down (nothing is stored).
 * @throws ChainQueueFullError when as many chains wait as the server queues (nothing is stored).
 */
export async function submitMessage(
  dependencies: SubmitDependencies,
  message: SupportMessage,
): Promise<{ chainId: string; messageId: string }> {
  if (!dependencies.chains.isAccepting()) throw new ShuttingDownError();
  // The queue's place is held before the rows are written, so concurrent submissions cannot overfill it between
  // the check and the enqueue, and a refused one stores nothing.
  const place = dependencies.chains.reserve();
  const messageId = uuidv7();
  const chain: NewChain = {
    id: newChainId(),
    name: SUPPORT_TRIAGE_CHAIN,
    status: 'running',
    input: toJsonb(message),
    instance_id: dependencies.instanceId,
  };
  const chainId = chain.id;
  try {
    await dependencies.db.transaction().execute(async (transaction) => {
      await insertChain(transaction, chain);
      await insertInboxMessage(transaction, {
        id: messageId,
        chain_id: chainId,
        from_address: message.from,
        subject: message.subject,
        body: message.body,
      });
    });
  } catch (error) {
    place.cancel();
    // Cut off mid-commit, the rows may have landed: the caller is told it failed, so they must not stay.
    if (dependencies.databaseStatus.reportFailure(error)) void withdrawSubmission(dependencies, chain, messageId);
    throw error;
  }
  await place.enqueue(chainId, supportTriage(dependencies, messageId, message));
  return { chainId, messageId };
}

async function withdrawSubmission(dependencies: SubmitDependencies, chain: NewChain, messageId: string): Promise<void> {
  try {
    const landed = await retryWhileUnreachable(dependencies.databaseStatus, dependencies.outageWaitMs, () =>
      removeUnconfirmedSubmission(dependencies.db, chain, messageId),
    );
    if (landed) inboxLog.warn(`chain ${chain.id}: its submission committed but the caller was told it failed, so it was withdrawn`);
  } catch (error) {
    inboxLog.error(`chain ${chain.id}: a submission whose commit was not confirmed could not be withdrawn`, error);
  }
}

export interface InboxItem {
  id: string;
  chainId: string;
  from: string;
  subject: string;
  body: string;
  createdAt: string;
  chainStatus: string | null;
  intent: string | null;
  urgency: string | null;
}

export async function listInbox(db: Db, options: { cursor?: string | undefined; limit: number }): Promise<Page<InboxItem>> {
  const rows = await listInboxMessages(db, { cursor: options.cursor, limit: options.limit + 1 });
  return pageOf(
    rows.map((row) => ({
      id: row.id,
      chainId: row.chain_id,
      from: row.from_address,
      subject: row.subject,
      body: row.body,
      createdAt: row.created_at.toISOString(),
      chainStatus: row.chain_status,
      intent: row.intent,
      urgency: row.urgency,
    })),
    options.limit,
  );
}
