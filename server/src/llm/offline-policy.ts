import { offlineTasks } from './model-router.js';
import type { LlmSettings } from './settings.js';
import type { AnyTask } from './task.js';

/** Start-up in production with tasks that would answer offline: the message names each task and what is missing. */
export class OfflineNotAllowedError extends Error {
  override name = 'OfflineNotAllowedError';
}

/**
 * Offline answers are deterministic stand-ins, not model answers: in production (unless CHAINLOG_ALLOW_OFFLINE=1)
 * none may land in the database, so start-up stops when any task would get one.
 * @throws OfflineNotAllowedError naming every such task.
 */
export function assertNoOfflineTasks(settings: LlmSettings, tasks: readonly AnyTask[]): void {
  if (settings.offlineAllowed) return;
  const problems = offlineTasks(settings, tasks);
  if (problems.length === 0) return;
  throw new OfflineNotAllowedError(
    [
      'NODE_ENV is production, where tasks may not answer from the offline provider (a deterministic stand-in, not a model):',
      ...problems.map((problem) => `  ${problem}`),
      'Set the missing keys, or CHAINLOG_ALLOW_OFFLINE=1 to start anyway.',
    ].join('\n'),
  );
}
