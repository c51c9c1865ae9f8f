import type { Migration } from 'kysely';
import * as inferenceLog from './migrations/2026-11-25T1100-inference-log.js';
import * as chains from './migrations/2026-11-25T1200-chains.js';
import * as logListIndexes from './migrations/2026-11-25T1300-log-list-indexes.js';
import * as instances from './migrations/2026-12-02T1000-instances.js';
import * as analystViews from './migrations/2026-12-03T1000-analyst-views.js';
import * as chainEventNotify from './migrations/2026-12-03T1100-chain-event-notify.js';
import * as chainJobs from './migrations/2026-12-03T1200-chain-jobs.js';
import * as chainEventPayloadVersion from './migrations/2026-12-03T1300-chain-event-payload-version.js';
import * as logSearch from './migrations/2026-12-03T1400-log-search.js';
import * as instanceLife from './migrations/2026-12-03T1900-instance-life.js';
import * as inferenceLogChainStep from './migrations/2026-12-03T2000-inference-log-chain-step.js';
import * as chainEventThrown from './migrations/2026-12-03T2100-chain-event-thrown.js';
import * as taskStatsRollup from './migrations/2026-12-03T2200-task-stats-rollup.js';
import * as priceSource from './migrations/2026-12-03T2300-price-source.js';
import * as chainSummaryWithoutCalls from './migrations/2026-12-03T2400-chain-summary-without-calls.js';
import * as requestTemplates from './migrations/2026-12-03T2500-request-templates.js';
import * as latencyHistogramArrays from './migrations/2026-12-03T2700-latency-histogram-arrays.js';
import * as logNameChainIndex from './migrations/2026-12-03T2710-log-name-chain-index.js';
import * as chainSummaryFailedCall from './migrations/2026-12-04T1000-chain-summary-failed-call.js';
import * as chainSummaryRetryOfFailed from './migrations/2026-12-05T1000-chain-summary-retry-of-failed.js';
import * as inferenceLogCallId from './migrations/2026-12-05T1100-inference-log-call-id.js';
import * as taskStatsCallsByCallId from './migrations/2026-12-05T1200-task-stats-calls-by-call-id.js';
import * as logSearchWordParts from './migrations/2026-12-05T1300-log-search-word-parts.js';
import * as callIdOnFirstAttempts from './migrations/2026-12-05T1400-call-id-on-first-attempts.js';

/**
 * Every migration, by the name kysely-ctl gives its file. Listed statically so the server and the tests load
 * them through the module graph (kysely's FileMigrationProvider imports from inside node_modules, where a
 * test runner cannot transform TypeScript); a test checks this list against the folder.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25T1100-inference-log': inferenceLog,
  '2026-11-25T1200-chains': chains,
  '2026-11-25T1300-log-list-indexes': logListIndexes,
  '2026-12-02T1000-instances': instances,
  '2026-12-03T1000-analyst-views': analystViews,
  '2026-12-03T1100-chain-event-notify': chainEventNotify,
  '2026-12-03T1200-chain-jobs': chainJobs,
  '2026-12-03T1300-chain-event-payload-version': chainEventPayloadVersion,
  '2026-12-03T1400-log-search': logSearch,
  '2026-12-03T1900-instance-life': instanceLife,
  '2026-12-03T2000-inference-log-chain-step': inferenceLogChainStep,
  '2026-12-03T2100-chain-event-thrown': chainEventThrown,
  '2026-12-03T2200-task-stats-rollup': taskStatsRollup,
  '2026-12-03T2300-price-source': priceSource,
  '2026-12-03T2400-chain-summary-without-calls': chainSummaryWithoutCalls,
  '2026-12-03T2500-request-templates': requestTemplates,
  '2026-12-03T2700-latency-histogram-arrays': latencyHistogramArrays,
  '2026-12-03T2710-log-name-chain-index': logNameChainIndex,
  '2026-12-04T1000-chain-summary-failed-call': chainSummaryFailedCall,
  '2026-12-05T1000-chain-summary-retry-of-failed': chainSummaryRetryOfFailed,
  '2026-12-05T1100-inference-log-call-id': inferenceLogCallId,
  '2026-12-05T1200-task-stats-calls-by-call-id': taskStatsCallsByCallId,
  '2026-12-05T1300-log-search-word-parts': logSearchWordParts,
  '2026-12-05T1400-call-id-on-first-attempts': callIdOnFirstAttempts,
};
