import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// A run takes a few seconds (tsx, database start-up, migration); the kill bound stays under the test's own timeout.
export const SCRIPT_TIMEOUT_MS = 45_000;

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOptions {
  /** Options for node before the script's (`--max-old-space-size=64`). */
  nodeArgs?: string[];
  /**
   * Takes stdout as it comes instead of keeping it (ScriptRun.stdout stays empty); `close` shuts the pipe, as a
   * reader such as `head` does when it has read enough.
   */
  onStdout?: (chunk: string, close: () => void) => void;
  /** Written to the script's stdin, which is then closed. */
  stdin?: string;
}

/**
 * Runs a repository script as its npm script does (tsx, from the repository's root) with exactly the CHAINLOG_*,
 * DATABASE_URL and provider variables in `env`: none inherited from the test's environment. Killed past
 * SCRIPT_TIMEOUT_MS.
 */
export function runTsxScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: ScriptOptions = {},
): Promise<ScriptRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_)/.test(name)),
  );
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: 'pipe',
  });
  // Closed at once without `stdin`: the script reads an empty input, as from /dev/null. A script that exits before
  // reading it makes the write fail (EPIPE): its exit is what the test reads.
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  const { onStdout } = options;
  const closeStdout = () => child.stdout.destroy();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (onStdout) onStdout(chunk, closeStdout);
    else stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${SCRIPT_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, SCRIPT_TIMEOUT_MS);
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
