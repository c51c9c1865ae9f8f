import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverBundleOptions } from '../build/bundle-options.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'server/src/main.ts';
// tsx, PGlite start-up and migrations took up to 30 s on a busy 2-core machine; the kill bound stays under the test's.
const RUN_TIMEOUT_MS = 90_000;
const RUN_TEST = { timeout: RUN_TIMEOUT_MS + 15_000 };
// npm ci of the production dependencies from npm's cache: 14 s on the 2-core machine.
const INSTALL_TIMEOUT_MS = 120_000;
const runFile = promisify(execFile);

let configDir: string;

beforeAll(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'chainlog-production-'));
  writeFileSync(path.join(configDir, 'chainlog.config.json'), '{}');
});

afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
});

/** How to start the server: by default its TypeScript source through tsx, from the repository. */
interface StartCommand {
  command: string;
  args: string[];
  cwd: string;
}

/** The server process with no provider key, on an in-memory database and a free port. */
function startServer(
  extraEnv: Record<string, string>,
  start: StartCommand = { command: process.execPath, args: ['--import', 'tsx', MAIN], cwd: REPO_ROOT },
): { child: ChildProcess; output: () => string } {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_|NODE_ENV$|PORT$|HOST$)/.test(name),
    ),
  );
  const child = spawn(start.command, start.args, {
    cwd: start.cwd,
    // Its own process group, which a test can stop whole.
    detached: true,
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

/** Signals the process and what it started (npm's script, for one). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
}

/** Resolves with the exit code and signal; kills the process and rejects after RUN_TIMEOUT_MS. */
function exitOf(
  child: ChildProcess,
  output: () => string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
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
      killGroup(child, 'SIGKILL');
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
  it(
    'refuses to start when tasks would answer offline, naming each task and the missing variable, without a stack',
    RUN_TEST,
    async () => {
      const { child, output } = startServer({});

      const exit = await exitOf(child, output);

      expect(exit).toEqual({ code: 1, signal: null });
      expect(output()).toContain('"intent recognition" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
      expect(output()).toContain('"entity extraction" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
      expect(output()).toContain('"reply drafting" uses openai:gpt-4.1-mini but OPENAI_API_KEY is not set');
      expect(output()).toContain('CHAINLOG_ALLOW_OFFLINE=1');
      expect(output()).not.toMatch(/\bat .+\(.+:\d+:\d+\)/);
      expect(output()).not.toContain('listening');
    },
  );

  it('names the variable of the provider a task is moved to by CHAINLOG_MODEL', RUN_TEST, async () => {
    const { child, output } = startServer({ CHAINLOG_MODEL: 'anthropic:claude-haiku-4-5' });

    expect(await exitOf(child, output)).toEqual({ code: 1, signal: null });
    expect(output()).toContain('"intent recognition" uses anthropic:claude-haiku-4-5 but ANTHROPIC_API_KEY is not set');
  });

  it('says in one line, without a stack, that nothing answers at DATABASE_URL', RUN_TEST, async () => {
    const { child, output } = startServer({
      CHAINLOG_ALLOW_OFFLINE: '1',
      DATABASE_URL: 'postgres://chainlog:s3cret@127.0.0.1:1/chainlog',
    });

    expect(await exitOf(child, output)).toEqual({ code: 1, signal: null });
    expect(output()).toContain(
      'DATABASE_URL: nothing accepts connections at 127.0.0.1:1: is PostgreSQL running there?',
    );
    expect(output()).not.toMatch(/\bat .+:\d+:\d+/);
    expect(output()).not.toContain('s3cret');
  });

  it('names a HOST that does not resolve, not the token a host beyond this machine needs', RUN_TEST, async () => {
    const { child, output } = startServer({ CHAINLOG_ALLOW_OFFLINE: '1', HOST: 'chainlog-test.invalid' });

    expect(await exitOf(child, output)).toEqual({ code: 1, signal: null });
    expect(output()).toContain('HOST=chainlog-test.invalid does not resolve to an address');
    expect(output()).not.toContain('CHAINLOG_TOKEN');
  });

  it('starts with CHAINLOG_ALLOW_OFFLINE=1, saying which tasks run offline', RUN_TEST, async () => {
    const { child, output } = startServer({ CHAINLOG_ALLOW_OFFLINE: '1' });

    try {
      await outputContaining(child, output, 'listening on');
      // Warnings come on stderr, the rest on stdout: two pipes, read in no set order.
      await outputContaining(child, output, 'no API key for openai');
      await outputContaining(
        child,
        output,
        `CHAINLOG_CLIENT_DIR=${configDir} holds no index.html: serving the API only`,
      );
    } finally {
      const exited = exitOf(child, output);
      // Sent as soon as the line is read: the signal handlers must already be in place (a graceful stop, exit 0).
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
    }
  });
});

describe('a production install: npm ci --omit=dev, then npm start', () => {
  // The repository's manifests and lockfile, the built server and its launcher, and the git-hook installer `prepare` runs: what a deployment has after
  // `npm ci && npm run build && npm prune --omit=dev`. Installed from npm's cache (`npm ci` filled it).
  let installDir: string;
  beforeAll(async () => {
    installDir = mkdtempSync(path.join(tmpdir(), 'chainlog-install-'));
    for (const file of [
      'package.json',
      'package-lock.json',
      'server/package.json',
      'server/start.js',
      'client/package.json',
      'shared/package.json',
      'scripts/git-hooks/install.mjs',
    ]) {
      mkdirSync(path.dirname(path.join(installDir, file)), { recursive: true });
      copyFileSync(path.join(REPO_ROOT, file), path.join(installDir, file));
    }
    await build({ ...serverBundleOptions, outdir: path.join(installDir, 'server/dist') });
    await runFile('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
      cwd: installDir,
      timeout: INSTALL_TIMEOUT_MS,
    });
  }, INSTALL_TIMEOUT_MS + 30_000);

  afterAll(() => {
    rmSync(installDir, { recursive: true, force: true });
  });

  it('has none of the development tools installed', () => {
    for (const tool of ['tsx', 'turbo', 'esbuild', 'vite', 'vitest', '@biomejs/biome', '@mui/material']) {
      expect(existsSync(path.join(installDir, 'node_modules', tool)), tool).toBe(false);
    }
  });

  it('serves the API, printing nothing but npm’s command and Chainlog’s own lines', RUN_TEST, async () => {
    const { child, output } = startServer(
      { CHAINLOG_ALLOW_OFFLINE: '1' },
      { command: 'npm', args: ['start'], cwd: installDir },
    );
    try {
      await outputContaining(child, output, 'listening on');
      const url = /listening on (http:\/\/\S+)/.exec(output())?.[1];
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'pglite' });
      const lines = output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      // npm echoes the script it runs; every other line is one of Chainlog's tagged loggers.
      expect(lines.filter((line) => !line.startsWith('> ') && !/^\[[a-z-]+\] /.test(line))).toEqual([]);
      expect(output()).not.toMatch(/turbo|telemetry|install-scripts|Packages in scope/i);
    } finally {
      const exited = exitOf(child, output);
      // npm does not pass a signal on to the script: stop the whole process group, as a supervisor would.
      killGroup(child, 'SIGTERM');
      await exited;
    }
  });
});
