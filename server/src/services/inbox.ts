import type { ChainStatus, SupportMessage } from '@chainlog/shared';
import { uuidv7 } from '../uuid-v7.js';
import { supportTriage } from '../chains/support-triage.js';
import type { Db } from '../db/client.js';
import { insertInboxMessage, listInboxMessages, removeInboxMessage } from '../db/queries/support.js';
import type { AppDependencies } from '../trpc/context.js';
import { type Page, pageOf } from './page.js';

type SubmitDependencies = Pick<AppDependencies, 'db' | 'chains'>;

/**
 * Stores the message and its triage chain (status running, queued as a job) in one transaction and returns at once:
 * the caller follows progress through chains.events.
 * @throws ShuttingDownError when the server was already shutting down (nothing is stored).
 * @throws ChainQueueFullError when as many chains wait as the server queues (nothing is stored).
 */
export async function submitMessage(
  dependencies: SubmitDependencies,
  message: SupportMessage,
): Promise<{ chainId: string; messageId: string }> {
  const messageId = uuidv7();
  const chainId = await dependencies.chains.submit(
    supportTriage(dependencies.db),
    { messageId, message },
    {
      insert: (transaction, chainId) =>
        insertInboxMessage(transaction, {
          id: messageId,
          chain_id: chainId,
          from_address: message.from,
          subject: message.subject,
          body: message.body,
        }),
      remove: (transaction) => removeInboxMessage(transaction, messageId),
    },
  );
  return { chainId, messageId };
}

export interface InboxItem {
  id: string;
  chainId: string;
  from: string;
  subject: string;
  body: string;
  createdAt: string;
  chainStatus: ChainStatus | null;
  intent: string | null;
  urgency: string | null;
}

export async function listInbox(
  db: Db,
  options: { cursor?: string | undefined; limit: number },
): Promise<Page<InboxItem>> {
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
