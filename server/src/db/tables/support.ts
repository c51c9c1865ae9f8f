import type { ColumnType, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;

/** A message that arrived in the support inbox; its chain triages it. */
export interface InboxMessageTable {
  id: string;
  chain_id: string;
  from_address: string;
  subject: string;
  body: string;
  created_at: CreatedAt;
}

/** The triage of one message: intent recognition and entity extraction, stored for analysts. */
export interface TriageTable {
  id: string;
  chain_id: string;
  message_id: string;
  intent: string;
  /** numeric(4,3): a string on read, to keep its precision. */
  confidence: ColumnType<string, string | number, string | number>;
  urgency: string;
  entities: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
}

export interface ReplyDraftTable {
  id: string;
  chain_id: string;
  message_id: string;
  subject: string;
  body: string;
  tone: string;
  needs_human: boolean;
  created_at: CreatedAt;
}

export type InboxMessageRow = Selectable<InboxMessageTable>;
export type NewInboxMessage = Insertable<InboxMessageTable>;
export type TriageRow = Selectable<TriageTable>;
export type NewTriage = Insertable<TriageTable>;
export type ReplyDraftRow = Selectable<ReplyDraftTable>;
export type NewReplyDraft = Insertable<ReplyDraftTable>;
