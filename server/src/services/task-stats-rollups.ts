import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import { rollUpTaskStats } from '../db/queries/task-stats-rollup.js';
import { log } from '../log.js';

const rollUpLog = log.withTag('task-stats');

/** How often a server rolls task_stats up: a day closes within this of TASK_STATS_GRACE_MS after midnight UTC. */
export const TASK_STATS_ROLL_UP_INTERVAL_MS = 5 * 60_000;

export interface TaskStatsRollUps {
  /** Stops the schedule, after the roll-up under way (if one is) ends. */
  stop(): Promise<void>;
}

/**
 * Rolls task_stats up now and every `intervalMs` (see rollUpTaskStats): what keeps task_stats and the Stats page
 * fast as days close. Every server instance runs it; they take turns, and a turn with nothing new to close is cheap.
 * Never in the way of start-up: the first roll-up of a large log runs in the background.
 */
export function startTaskStatsRollUps(options: {
  db: Db;
  status: DatabaseStatus;
  intervalMs?: number;
}): TaskStatsRollUps {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running || !options.status.isUp()) return;
    running = rollUpTaskStats(options.db)
      .then((result) => {
        if (result.days > 0)
          rollUpLog.info(
            `rolled up ${result.days} day(s) of task_stats (${result.staleDays} written again), closed before ${result.closedBefore}`,
          );
      })
      .catch((error: unknown) => {
        if (!options.status.reportFailure(error)) rollUpLog.warn('task_stats roll-up failed', error);
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, options.intervalMs ?? TASK_STATS_ROLL_UP_INTERVAL_MS);
  timer.unref();
  run();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
