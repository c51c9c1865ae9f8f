import { createLogWriterFor } from '../src/db/inference-log-writer.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { parseEnv } from '../src/env.js';
import { createLlm } from '../src/llm/ask.js';
import { buildLlmSettings } from '../src/llm/settings.js';
import { type AppLlm, TASKS } from '../src/tasks/index.js';

/** The app's tasks with no key configured (every one on the offline provider), logging to `database`. */
export function offlineLlm(database: DatabaseHandle): AppLlm {
  return createLlm({
    db: database.db,
    settings: buildLlmSettings(parseEnv({})),
    tasks: TASKS,
    logWriter: createLogWriterFor(database),
  });
}
