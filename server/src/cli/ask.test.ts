import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { intentRecognitionSchema } from '@chainlog/shared';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DatabaseHandle, openDatabase } from '../db/client.js';
import { listChainLogs } from '../db/queries/inference-log.js';
import { CLI_TIMEOUT_MS, runCli } from '../../test/ask-cli.js';
import { dropSchemaStatement } from '../../test/test-database.js';

// What the CLI does with a database, on each project's. How it refuses a bad command line, before any database
// opens, is in ask-usage.test.ts, which runs once.
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
});
