import type { ChainSummaryView, TaskStatsView } from './tables/analyst-views.js';
import type { ChainEventTable, ChainTable } from './tables/chain.js';
import type { InferenceLogTable } from './tables/inference-log.js';
import type { InstanceTable } from './tables/instance.js';
import type { InferenceLogRequestView, RequestTemplateTable } from './tables/request-template.js';
import type { InboxMessageTable, ReplyDraftTable, TriageTable } from './tables/support.js';

/** Every table and view Kysely knows, by its SQL name. */
export interface Database {
  inference_log: InferenceLogTable;
  request_template: RequestTemplateTable;
  chain: ChainTable;
  chain_event: ChainEventTable;
  inbox_message: InboxMessageTable;
  triage: TriageTable;
  reply_draft: ReplyDraftTable;
  instance: InstanceTable;
  chain_summary: ChainSummaryView;
  task_stats: TaskStatsView;
  inference_log_request: InferenceLogRequestView;
}
