import type { ChainStatus } from '@chainlog/shared';
import type { Db } from '../client.js';
import type {
  InboxMessageRow,
  NewInboxMessage,
  NewReplyDraft,
  NewTriage,
  ReplyDraftRow,
  TriageRow,
} from '../tables/support.js';

export async function insertInboxMessage(db: Db, message: NewInboxMessage): Promise<void> {
  await db.insertInto('inbox_message').values(message).execute();
}

export async function removeInboxMessage(db: Db, messageId: string): Promise<void> {
  await db.deleteFrom('inbox_message').where('id', '=', messageId).execute();
}

/** Idempotent: writing the same triage (same id) again changes nothing. */
export async function insertTriage(db: Db, triage: NewTriage): Promise<void> {
  await db
    .insertInto('triage')
    .values(triage)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}

/** Idempotent: writing the same draft (same id) again changes nothing. */
export async function insertReplyDraft(db: Db, draft: NewReplyDraft): Promise<void> {
  await db
    .insertInto('reply_draft')
    .values(draft)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}

export type InboxListRow = InboxMessageRow & {
  chain_status: ChainStatus | null;
  intent: string | null;
  urgency: string | null;
};

/** Newest first, with the status of each message's chain and its triage when there is one. */
export async function listInboxMessages(
  db: Db,
  options: { cursor?: string | undefined; limit: number },
): Promise<InboxListRow[]> {
  let query = db
    .selectFrom('inbox_message as message')
    .leftJoin('chain', 'chain.id', 'message.chain_id')
    .leftJoin('triage', 'triage.message_id', 'message.id')
    .selectAll('message')
    .select(['chain.status as chain_status', 'triage.intent as intent', 'triage.urgency as urgency']);
  if (options.cursor) query = query.where('message.id', '<', options.cursor);
  return query.orderBy('message.id', 'desc').limit(options.limit).execute();
}

/** The domain rows a chain created, for its detail view and for analysts' joins. */
export async function findChainDomainRows(
  db: Db,
  chainId: string,
): Promise<{ messages: InboxMessageRow[]; triages: TriageRow[]; replyDrafts: ReplyDraftRow[] }> {
  const [messages, triages, replyDrafts] = await Promise.all([
    db.selectFrom('inbox_message').selectAll().where('chain_id', '=', chainId).execute(),
    db.selectFrom('triage').selectAll().where('chain_id', '=', chainId).execute(),
    db.selectFrom('reply_draft').selectAll().where('chain_id', '=', chainId).execute(),
  ]);
  return { messages, triages, replyDrafts };
}
