import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT_MS, runCli } from '../../test/ask-cli.js';
import { lockDataDir } from '../db/data-dir-lock.js';

// What the CLI refuses before it uses a database, or with the embedded one alone: the same on either test project,
// so this file runs once (vitest.config.ts). What it does with a database is in ask.test.ts.
const ONE_RUN_TEST = { timeout: CLI_TIMEOUT_MS + 15_000 };
const ORDER_MESSAGE = JSON.stringify({
  from: 'ada@example.com',
  subject: 'Order 1042',
  body: 'Where is my order? It has not arrived yet.',
});

describe('npm run ask, refusing', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chainlog-cli-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 2 with the usage when the input is not JSON', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition', '{from: ada}'], dataDir);

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

      const run = await runCli(['intent recognition', input], dataDir);

      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`the input's subject must not contain a`);
      expect(run.stderr).toContain(found);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('exits 2 with the usage when the input is missing', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent recognition'], dataDir);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run ask --');
  });

  it('exits 2 naming the known tasks when the task is unknown, before any database is made', ONE_RUN_TEST, async () => {
    const run = await runCli(['intent detection', ORDER_MESSAGE], dataDir);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no task is registered as "intent detection"');
    expect(run.stderr).toContain('known tasks: "intent recognition"');
    expect(run.stderr).toContain('usage: npm run ask --');
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
  });

  it('exits 1 naming the process that holds the embedded database', ONE_RUN_TEST, async () => {
    const pgliteDir = path.join(dataDir, 'pgdata');
    mkdirSync(pgliteDir, { recursive: true });
    const release = lockDataDir(pgliteDir);
    try {
      // The lock is PGlite's own, so this runs without DATABASE_URL whatever the test project.
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
