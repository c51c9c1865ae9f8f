import type { DatabaseHandle } from './db/client.js';
import { targetFromEnv } from './db/dialect.js';
import { openConfiguredDatabase } from './db/open-problem.js';
import { createLogWriterFor } from './db/inference-log-writer.js';
import type { Env } from './env.js';
import { type Llm, createLlm } from './llm/ask.js';
import { loadConfigFile } from './llm/config-file.js';
import { assertNoOfflineTasks } from './llm/offline-policy.js';
import { assertTaskRoutes } from './llm/task-routes.js';
import { buildLlmSettings } from './llm/settings.js';
import { InstanceLease } from './instances/instance-lease.js';
import { ChainJobs } from './chains/jobs/chain-jobs.js';
import type { InstanceRole } from './db/tables/instance.js';
import { log } from './log.js';
import { uuidv7 } from './uuid-v7.js';
import { type PgliteMaintenance, startPgliteMaintenance } from './services/pglite-maintenance.js';
import { type TaskStatsRollUps, startTaskStatsRollUps } from './services/task-stats-rollups.js';
import { type AppLlm, TASKS } from './tasks/index.js';

const appLog = log.withTag('app');

export interface App {
  database: DatabaseHandle;
  llm: AppLlm;
  /** This process in the instance table: its heartbeat, and the sweep of what dead instances left. */
  instance: InstanceLease;
  /** The chain queue (pg-boss); the server's runs its maintenance. */
  jobs: ChainJobs;
  /** A server's schedule of task_stats roll-ups; none for the CLI. */
  taskStatsRollUps: TaskStatsRollUps | undefined;
  /** A PGlite server's VACUUM and ANALYZE, as autovacuum would run them; none on PostgreSQL (it has autovacuum). */
  maintenance: PgliteMaintenance | undefined;
  close(): Promise<void>;
}

/**
 * Opens the database (migrated), registers this process as an instance (ending what dead ones left pending), and
 * wires the LLM layer from env and config: what the server and the CLI share.
 */
export async function openApp(env: Env, role: InstanceRole): Promise<App> {
  const settings = buildLlmSettings(env, loadConfigFile(env.CHAINLOG_CONFIG));
  // Before the database opens: a refused start-up leaves nothing behind.
  assertTaskRoutes(settings, TASKS);
  assertNoOfflineTasks(settings, TASKS);
  const instanceId = env.CHAINLOG_INSTANCE_ID ?? uuidv7();
  const configured = targetFromEnv(env);
  // The CLI lives for one call and serves no sockets, which the worker thread is there to keep serving: in its own
  // thread PGlite spares it the worker's start-up (unless CHAINLOG_PGLITE_THREAD says otherwise).
  const target =
    role === 'cli' && configured.kind === 'pglite' && configured.thread === undefined
      ? { ...configured, thread: 'main' as const }
      : configured;
  const database = await openConfiguredDatabase(target, {
    logCommit: env.CHAINLOG_LOG_COMMIT,
    outageWaitMs: env.CHAINLOG_DB_OUTAGE_WAIT_MS,
    applicationName: `chainlog ${role} ${instanceId}`,
  });
  const jobs = await ChainJobs.start(database, { supervise: role === 'server' }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  let instance: InstanceLease;
  try {
    instance = await InstanceLease.start({
      jobs,
      db: database.db,
      status: database.status,
      id: instanceId,
      role,
      heartbeatMs: env.CHAINLOG_INSTANCE_HEARTBEAT_MS,
      leaseMs: env.CHAINLOG_INSTANCE_LEASE_MS,
      exclusive: database.kind === 'pglite',
    });
  } catch (error) {
    await jobs.stop();
    await database.close();
    throw error;
  }
  const llm: Llm<typeof TASKS> = createLlm({
    db: database.db,
    settings,
    tasks: TASKS,
    logWriter: createLogWriterFor(database),
    instanceId,
  });
  for (const line of llm.router.describeFallbacks(TASKS)) appLog.warn(line);
  const taskStatsRollUps =
    role === 'server' ? startTaskStatsRollUps({ db: database.db, status: database.status }) : undefined;
  const maintenance =
    role === 'server' && database.kind === 'pglite'
      ? startPgliteMaintenance({ db: database.db, status: database.status })
      : undefined;
  return {
    database,
    llm,
    instance,
    jobs,
    taskStatsRollUps,
    maintenance,
    async close() {
      await maintenance?.stop();
      await taskStatsRollUps?.stop();
      await instance.stop();
      await jobs.stop();
      await database.close();
    },
  };
}
