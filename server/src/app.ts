import { type DatabaseHandle, openDatabase } from './db/client.js';
import { targetFromSettings } from './db/dialect.js';
import { createLogWriterFor } from './db/inference-log-writer.js';
import type { Env } from './env.js';
import { type Llm, createLlm } from './llm/ask.js';
import { loadConfigFile } from './llm/config-file.js';
import { assertNoOfflineTasks } from './llm/offline-policy.js';
import { buildLlmSettings } from './llm/settings.js';
import { log } from './log.js';
import { type AppLlm, TASKS } from './tasks/index.js';

const appLog = log.withTag('app');

export interface App {
  database: DatabaseHandle;
  llm: AppLlm;
  close(): Promise<void>;
}

/** Opens the database (migrated) and wires the LLM layer from env and config: what the server and the CLI share. */
export async function openApp(env: Env): Promise<App> {
  const settings = buildLlmSettings(env, loadConfigFile(env.CHAINLOG_CONFIG));
  // Before the database opens: a refused start-up leaves nothing behind.
  assertNoOfflineTasks(settings, TASKS);
  const database = await openDatabase(targetFromSettings({ databaseUrl: env.DATABASE_URL, dataDir: env.CHAINLOG_DATA_DIR }), {
    logCommit: env.CHAINLOG_LOG_COMMIT,
  });
  // PGlite runs one statement at a time, so a single flush in flight lets batches grow instead of queueing.
  const llm: Llm<typeof TASKS> = createLlm({ db: database.db, settings, tasks: TASKS, logWriter: createLogWriterFor(database) });
  for (const line of llm.router.describeFallbacks(TASKS)) appLog.warn(line);
  return { database, llm, close: () => database.close() };
}
