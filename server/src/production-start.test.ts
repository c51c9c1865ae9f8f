import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'server/src/main.ts';
// tsx, PGlite start-up and migrations took up to 30 s on a busy 2-core machine; the kill bound stays under the test's.
const RUN_TIMEOUT_MS = 90_000;
const RUN_TEST = { timeout: RUN_TIMEOUT_MS + 15_000 };

let configDir: string;

beforeAll(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'chainlog-production-'));
  writeFileSync(path.join(configDir, 'chainlog.config.json'), '{}');
});

afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
});

/** `npm start`'s server process with no provider key, on an in-memory database and a free port. */
function startServer(extraEnv: Record<string, string>): { child: ChildProcess; output: () => string } {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_|NODE_ENV$|PORT$|HOST$)/.test(name)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      NODE_ENV: 'production',
      CHAINLOG_DATA_DIR: 'memory://',
      CHAINLOG_CONFIG: path.join(configDir, 'chainlog.config.json'),
      // No client build needed: the process must only start (or refuse to).
      CHAINLOG_CLIENT_DIR: configDir,
      HOST: '127.0.0.1',
      PORT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

/** Resolves with the exit code and signal; kills the process and rejects after RUN_TIMEOUT_MS. */
function exitOf(child: ChildProcess, output: () => string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within ${RUN_TIMEOUT_MS} ms; output:\n${output()}`));
    }, RUN_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Resolves once the output contains `text`; rejects when the process exits first or after RUN_TIMEOUT_MS. */
function outputContaining(child: ChildProcess, output: () => string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!output().includes(text)) return;
      finish();
      resolve();
    };
    const exited = (code: number | null) => {
      finish();
      reject(new Error(`the server exited (${code}) before printing "${text}"; output:\n${output()}`));
    };
    const timer = setTimeout(() => {
      finish();
      child.kill('SIGKILL');
      reject(new Error(`no "${text}" within ${RUN_TIMEOUT_MS} ms; output:\n${output()}`));
    }, RUN_TIMEOUT_MS);
    function finish() {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', exited);
    }
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', exited);
    check();
  });
}

describe('start-up with NODE_ENV=production', () => {
  it('refuses to start when tasks would answer offline, naming each task and the missing variable, without a stack', RUN_TEST, async () => {
    const { child, output } = startServer({});

    const exit = await exitOf(child, output);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(output()).toContain('"intent recognition" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
    expect(output()).toContain('"entity extraction" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
    expect(output()).toContain('"reply drafting" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
    expect(output()).toContain('CHAINLOG_ALLOW_OFFLINE=1');
    expect(output()).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
    expect(output()).not.toContain('listening');
  });

  it('names the variable of the provider a task is moved to by CHAINLOG_MODEL', RUN_TEST, async () => {
    const { child, output } = startServer({ CHAINLOG_MODEL: 'anthropic:claude-haiku-4-5' });

    expect(await exitOf(child, output)).toEqual({ code: 1, signal: null });
    expect(output()).toContain('"intent recognition" uses anthropic:claude-haiku-4-5 but ANTHROPIC_API_KEY is not set');
  });

  it('starts with CHAINLOG_ALLOW_OFFLINE=1, saying which tasks run offline', RUN_TEST, async () => {
    const { child, output } = startServer({ CHAINLOG_ALLOW_OFFLINE: '1' });

    try {
      await outputContaining(child, output, 'listening on');
      expect(output()).toContain('no API key for openai');
    } finally {
      const exited = exitOf(child, output);
      // Sent as soon as the line is read: the signal handlers must already be in place (a graceful stop, exit 0).
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
    }
  });
});
