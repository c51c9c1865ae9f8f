import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'server/src/cli/ask.ts';
// A run takes a few seconds (tsx, database start-up, migration); the kill bound stays under the test's own timeout.
export const CLI_TIMEOUT_MS = 45_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as `npm run ask` does (tsx), with an environment of its own: PGlite under `dataDir` unless `database`
 * adds a DATABASE_URL, an empty config file, and no provider key, so every task runs on the offline provider.
 */
export function runCli(args: string[], dataDir: string, database: Record<string, string> = {}): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_)/.test(name)),
  );
  const configFile = path.join(dataDir, 'chainlog.config.json');
  writeFileSync(configFile, '{}');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...database, CHAINLOG_DATA_DIR: dataDir, CHAINLOG_CONFIG: configFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit within ${CLI_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
