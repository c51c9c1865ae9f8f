import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtServerMain } from './built-server.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /Chainlog listening on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 45_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string | null>;
}

/**
 * The server in a process of its own, as `npm start` runs it (the bundle of `server/src/main.ts`, built from the
 * current source once per test run; tsx took 1.5 to 2 s more per start), on port 0 of 127.0.0.1 with exactly the
 * CHAINLOG_*, DATABASE_URL and provider variables given: nothing inherited from the test's environment.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_|HOST$|PORT$|NODE_ENV$)/.test(name),
    ),
  );
  const main = await builtServerMain();
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: REPO_ROOT,
    env: { ...inherited, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const read = (chunk: string) => {
      output += chunk;
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.setEncoding('utf8').on('data', read);
    child.stderr?.setEncoding('utf8').on('data', read);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${String(code)}) before it listened:\n${output}`));
    });
  });
  return { url, child, output: () => output, exited };
}
