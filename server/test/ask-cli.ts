import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTsxScript, SCRIPT_TIMEOUT_MS, type ScriptRun } from './tsx-script.js';

const CLI = 'server/src/cli/ask.ts';
export const CLI_TIMEOUT_MS = SCRIPT_TIMEOUT_MS;
export type CliRun = ScriptRun;

/**
 * Runs the CLI as `npm run ask` does (tsx), with an environment of its own: PGlite under `dataDir` unless `database`
 * adds a DATABASE_URL, an empty config file, and no provider key, so every task runs on the offline provider.
 */
export function runCli(args: string[], dataDir: string, database: Record<string, string> = {}): Promise<CliRun> {
  const configFile = path.join(dataDir, 'chainlog.config.json');
  writeFileSync(configFile, '{}');
  return runTsxScript(CLI, args, { ...database, CHAINLOG_DATA_DIR: dataDir, CHAINLOG_CONFIG: configFile });
}
