import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exposureProblem } from './exposure.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TOKEN = 'exposure-test-token-0123456789';

describe('exposureProblem', () => {
  it.each(['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]'])(
    'lets a loopback HOST %s start without a token',
    (host) => {
      expect(exposureProblem(host, undefined)).toBeUndefined();
    },
  );

  it.each(['0.0.0.0', '::', '192.168.1.20', 'chainlog.example.com'])(
    'refuses HOST %s without a token, saying to set CHAINLOG_TOKEN',
    (host) => {
      expect(exposureProblem(host, undefined)).toMatch(/CHAINLOG_TOKEN/);
    },
  );

  it('lets any HOST start with a token', () => {
    expect(exposureProblem('0.0.0.0', TOKEN)).toBeUndefined();
  });
});

describe('starting the server on HOST=0.0.0.0 without CHAINLOG_TOKEN', () => {
  it('exits 1 with one line naming CHAINLOG_TOKEN, no stack, before it opens the database', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'chainlog-exposure-')), 'data');
    try {
      const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', 'server/src/main.ts'],
          {
            cwd: REPO_ROOT,
            // A clean environment: no .env of the developer's and no token from the shell.
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              HOST: '0.0.0.0',
              PORT: '0',
              CHAINLOG_DATA_DIR: dataDir,
              CHAINLOG_TOKEN: '',
            },
            timeout: 30_000,
          },
          (_error, stdout, stderr) => resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
        );
      });

      expect(result.code).toBe(1);
      expect(result.output).toContain('HOST=0.0.0.0');
      expect(result.output).toContain('Set CHAINLOG_TOKEN');
      expect(result.output).not.toMatch(/^\s+at /m);
      expect(result.output).not.toContain('listening');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });
});
