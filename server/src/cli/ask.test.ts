import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { intentRecognitionSchema } from '@chainlog/shared';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DatabaseHandle, openDatabase } from '../db/client.js';
import { lockDataDir } from '../db/data-dir-lock.js';
import { listChainLogs } from '../db/queries/inference-log.js';
import { dropSchemaStatement } from '../../test/test-database.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = 'server/src/cli/ask.ts';
// A run takes a few seconds (tsx, database start-up, migration); the kill bound stays under the test's own timeout.
const CLI_TIMEOUT_MS = 45_000;
const ONE_RUN_TEST = { timeout: CLI_TIMEOUT_MS + 15_000 };
const TWO_RUN_TEST = { timeout: 2 * CLI_TIMEOUT_MS + 30_000 };
const ORDER_MESSAGE = JSON.stringify({
  from: 'ada@example.com',
  subject: 'Order 1042',
  body: 'Where is my order? It has not arrived yet.',
});

// The task's own output schema, so no field of the answer is stripped before it is compared with the stored row.
const cliAnswerSchema = z.object({
  output: intentRecognitionSchema,
  chainId: z.uuid(),
  logId: z.uuid(),
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as `npm run ask` does (tsx), with an environment of its own: PGlite under `dataDir` unless `database`
 * adds a DATABASE_URL, an empty config file, and no provider key, so every task runs on the offline provider.
 */
function runCli(args: string[], dataDir: string, database: Record<string, string> = {}): Promise<CliRun> {
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

/** The database one test's CLI runs write to, and how to read it back once they have exited. */
interface CliDatabase {
  /** What the CLI's environment gains: DATABASE_URL on PostgreSQL, nothing on PGlite. */
  env: Record<string, string>;
  /** Opens what the CLI wrote, without migrating, so the rows must be where the CLI put them. */
  open(): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

/**
 * On PGlite, the `pgdata` folder under `dataDir`, as `npm run ask` uses without DATABASE_URL. In the postgres project,
 * a fresh schema in TEST_DATABASE_URL: the CLI migrates into its connection's current schema, so DATABASE_URL sets
 * the search_path through the connection string's `options`, and nothing lands in the shared database's `public`.
 */
async function createCliDatabase(dataDir: string): Promise<CliDatabase> {
  if (process.env.CHAINLOG_TEST_DB !== 'postgres') {
    return {
      env: {},
      open: () => openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') }, { migrate: false }),
      drop: async () => {},
    };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL');
  const schema = `test_cli_${Math.random().toString(36).slice(2, 10)}`;
  await withServerClient(url, (client) => client.query(`create schema ${client.escapeIdentifier(schema)}`));
  const cliUrl = new URL(url);
  cliUrl.searchParams.set('options', `-c search_path=${schema}`);
  return {
    env: { DATABASE_URL: cliUrl.href },
    open: () => openDatabase({ kind: 'postgres', url, searchPath: schema }, { migrate: false, logCommit: 'sync' }),
    drop: () => withServerClient(url, (client) => client.query(dropSchemaStatement(schema))),
  };
}

async function withServerClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

describe('npm run ask', () => {
  let dataDir: string;
  let database: CliDatabase;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chainlog-cli-'));
    database = await createCliDatabase(dataDir);
  });
  afterEach(async () => {
    try {
      await database.drop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('prints only { output, chainId, logId } JSON on stdout, logging on stderr', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition', ORDER_MESSAGE], dataDir, database.env);

    expect(run.code, run.stderr).toBe(0);
    const answer = cliAnswerSchema.parse(JSON.parse(run.stdout));
    expect(answer.output.intent).toBe('order_status');
    expect(answer.chainId).not.toBe(answer.logId);
    expect(run.stderr).toContain('offline provider');
  });

  it('joins the chain given with --chain, and both runs are logged in it', TWO_RUN_TEST, async () => {
    const first = await runCli(['intent recognition', ORDER_MESSAGE], dataDir, database.env);
    expect(first.code, first.stderr).toBe(0);
    const firstAnswer = cliAnswerSchema.parse(JSON.parse(first.stdout));
    const refund = JSON.stringify({ from: 'ada@example.com', body: 'Please refund me, it arrived broken.' });

    const second = await runCli(['intent recognition', refund, '--chain', firstAnswer.chainId], dataDir, database.env);

    expect(second.code, second.stderr).toBe(0);
    const secondAnswer = cliAnswerSchema.parse(JSON.parse(second.stdout));
    expect(secondAnswer.chainId).toBe(firstAnswer.chainId);
    expect(secondAnswer.output.intent).toBe('refund_request');
    // Both CLI processes have exited, so this process may open the same PGlite directory.
    const written = await database.open();
    try {
      const rows = await listChainLogs(written.db, firstAnswer.chainId);
      expect(rows.map((row) => ({ id: row.id, status: row.status, name: row.name, provider: row.provider }))).toEqual([
        { id: firstAnswer.logId, status: 'ok', name: 'intent recognition', provider: 'offline' },
        { id: secondAnswer.logId, status: 'ok', name: 'intent recognition', provider: 'offline' },
      ]);
      expect(rows.map((row) => row.output)).toEqual([firstAnswer.output, secondAnswer.output]);
    } finally {
      await written.close();
    }
  });

  it('exits 1 naming the known tasks when the task is unknown', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent detection', ORDER_MESSAGE], dataDir, database.env);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no task is registered as "intent detection"');
    expect(run.stderr).toContain('known tasks: "intent recognition"');
  });

  it('exits 2 with the usage when the input is not JSON', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition', '{from: ada}'], dataDir, database.env);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('the input is not valid JSON');
    expect(run.stderr).toContain('usage: npm run ask --');
  });

  it.each([
    ['a lone surrogate', '\\ud800', '\\ud800 at index 6'],
    ['NUL', '\\u0000', 'NUL character (\\u0000 at index 6)'],
  ])(
    'exits 2 naming the field when the input holds %s, which PostgreSQL cannot store',
    ONE_RUN_TEST,
    async (_what, escaped, found) => {
      // JSON brings the character in as an escape; a command line itself cannot hold either.
      const input = `{"from":"ada@example.com","body":"Where is my order?","subject":"order ${escaped}"}`;

      const run = await runCli(['intent recognition', input], dataDir, database.env);

      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`the input's subject must not contain a`);
      expect(run.stderr).toContain(found);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('exits 2 with the usage when the input is missing', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition'], dataDir, database.env);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run ask --');
  });

  it('exits 1 naming the process that holds the embedded database', ONE_RUN_TEST, async () => {
    const pgliteDir = path.join(dataDir, 'pgdata');
    mkdirSync(pgliteDir, { recursive: true });
    const release = lockDataDir(pgliteDir);
    try {
      // The lock is PGlite's own, so even the postgres project runs this without DATABASE_URL.
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
