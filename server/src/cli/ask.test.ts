import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDatabase } from '../db/client.js';
import { lockDataDir } from '../db/data-dir-lock.js';
import { listChainLogs } from '../db/queries/inference-log.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = 'server/src/cli/ask.ts';
// A run takes a few seconds (tsx, PGlite start-up, migration); the kill bound stays under the test's own timeout.
const CLI_TIMEOUT_MS = 45_000;
const ONE_RUN_TEST = { timeout: CLI_TIMEOUT_MS + 15_000 };
const TWO_RUN_TEST = { timeout: 2 * CLI_TIMEOUT_MS + 30_000 };
const ORDER_MESSAGE = JSON.stringify({ from: 'ada@example.com', subject: 'Order 1042', body: 'Where is my order? It has not arrived yet.' });

const cliAnswerSchema = z.object({
  output: z.object({ intent: z.string(), confidence: z.number(), rationale: z.string() }),
  chainId: z.uuid(),
  logId: z.uuid(),
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as `npm run ask` does (tsx), with an environment of its own: PGlite under `dataDir`, an empty
 * config file, and no provider key, so every task runs on the offline provider.
 */
function runCli(args: string[], dataDir: string): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(CHAINLOG_|DATABASE_URL$|OPENAI_|ANTHROPIC_)/.test(name)),
  );
  const configFile = path.join(dataDir, 'chainlog.config.json');
  writeFileSync(configFile, '{}');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, CHAINLOG_DATA_DIR: dataDir, CHAINLOG_CONFIG: configFile },
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

// The CLI migrates whatever DATABASE_URL names into its default schema; against the shared test database that would
// leave tables in `public`. So it runs on PGlite only, which is what `npm run ask` uses without DATABASE_URL.
describe.skipIf(process.env.CHAINLOG_TEST_DB === 'postgres')('npm run ask', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chainlog-cli-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints only { output, chainId, logId } JSON on stdout, logging on stderr', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition', ORDER_MESSAGE], dataDir);

    expect(run.code, run.stderr).toBe(0);
    const answer = cliAnswerSchema.parse(JSON.parse(run.stdout));
    expect(answer.output.intent).toBe('order_status');
    expect(answer.chainId).not.toBe(answer.logId);
    expect(run.stderr).toContain('offline provider');
  });

  it('joins the chain given with --chain, and both runs are logged in it', TWO_RUN_TEST, async () => {
    const first = await runCli(['intent recognition', ORDER_MESSAGE], dataDir);
    expect(first.code, first.stderr).toBe(0);
    const firstAnswer = cliAnswerSchema.parse(JSON.parse(first.stdout));
    const refund = JSON.stringify({ from: 'ada@example.com', body: 'Please refund me, it arrived broken.' });

    const second = await runCli(['intent recognition', refund, '--chain', firstAnswer.chainId], dataDir);

    expect(second.code, second.stderr).toBe(0);
    const secondAnswer = cliAnswerSchema.parse(JSON.parse(second.stdout));
    expect(secondAnswer.chainId).toBe(firstAnswer.chainId);
    expect(secondAnswer.output.intent).toBe('refund_request');
    // Both CLI processes have exited, so this process may open the same PGlite directory.
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') });
    try {
      const rows = await listChainLogs(database.db, firstAnswer.chainId);
      expect(rows.map((row) => ({ id: row.id, status: row.status, name: row.name, provider: row.provider }))).toEqual([
        { id: firstAnswer.logId, status: 'ok', name: 'intent recognition', provider: 'offline' },
        { id: secondAnswer.logId, status: 'ok', name: 'intent recognition', provider: 'offline' },
      ]);
      expect(rows.map((row) => row.output)).toEqual([firstAnswer.output, secondAnswer.output]);
    } finally {
      await database.close();
    }
  });

  it('exits 1 naming the known tasks when the task is unknown', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent detection', ORDER_MESSAGE], dataDir);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no task is registered as "intent detection"');
    expect(run.stderr).toContain('known tasks: "intent recognition"');
  });

  it('exits 2 with the usage when the input is not JSON', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition', '{from: ada}'], dataDir);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('the input is not valid JSON');
    expect(run.stderr).toContain('usage: npm run ask --');
  });

  it('exits 2 with the usage when the input is missing', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition'], dataDir);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run ask --');
  });

  it('exits 1 naming the process that holds the embedded database', ONE_RUN_TEST, async () => {
    const pgliteDir = path.join(dataDir, 'pgdata');
    mkdirSync(pgliteDir, { recursive: true });
    const release = lockDataDir(pgliteDir);
    try {
      const run = await runCli(['intent recognition', ORDER_MESSAGE], dataDir);

      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`is in use by process ${process.pid}`);
      expect(run.stderr).toContain('DATABASE_URL');
    } finally {
      release();
    }
  });
});
