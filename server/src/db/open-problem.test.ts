import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client.js';
import type { DatabaseTarget } from './dialect.js';
import { DatabaseOpenError, explainOpenFailure } from './open-problem.js';

/** What opening `target` for real threw, explained. */
async function explainedOpen(target: DatabaseTarget): Promise<unknown> {
  try {
    const database = await openDatabase(target);
    await database.close();
  } catch (error) {
    return explainOpenFailure(error, target);
  }
  throw new Error('the database opened');
}

describe('explainOpenFailure', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'chainlog-open-problem-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('says nothing listens at the address of DATABASE_URL, and never its password', async () => {
    const explained = await explainedOpen({ kind: 'postgres', url: 'postgres://postgres:s3cret@127.0.0.1:1/test' });

    expect(explained).toBeInstanceOf(DatabaseOpenError);
    expect((explained as Error).message).toBe(
      'DATABASE_URL: nothing accepts connections at 127.0.0.1:1: is PostgreSQL running there?',
    );
    expect((explained as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('names a host of DATABASE_URL that does not resolve', async () => {
    const explained = await explainedOpen({ kind: 'postgres', url: 'postgres://postgres@chainlog-test.invalid/test' });

    expect((explained as Error).message).toBe('DATABASE_URL: the host chainlog-test.invalid does not resolve');
  });

  it('says a CHAINLOG_DATA_DIR with a file in its way cannot be made', async () => {
    const file = path.join(folder, 'a-file');
    writeFileSync(file, '');

    const explained = await explainedOpen({ kind: 'pglite', dataDir: path.join(file, 'pgdata') });

    expect((explained as Error).message).toBe(`CHAINLOG_DATA_DIR: ${file}/pgdata cannot be made, a file is in its way`);
  });

  it.runIf(process.platform === 'linux')(
    "says a CHAINLOG_DATA_DIR under /proc cannot be made (Node 20's recursive mkdir retried it for ever)",
    async () => {
      const explained = await explainedOpen({ kind: 'pglite', dataDir: '/proc/chainlog-test/data' });

      expect((explained as Error).message).toBe(
        'CHAINLOG_DATA_DIR: /proc/chainlog-test cannot be made, its file system takes no new folders',
      );
    },
  );

  it('leaves an error that is not about the setting as it came, stack and all', () => {
    const syntax = Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' });

    expect(explainOpenFailure(syntax, { kind: 'postgres', url: 'postgres://127.0.0.1/test' })).toBe(syntax);
    expect(explainOpenFailure(new Error('disk I/O'), { kind: 'pglite', dataDir: folder })).toBeInstanceOf(Error);
    expect(explainOpenFailure(new Error('disk I/O'), { kind: 'pglite', dataDir: folder })).not.toBeInstanceOf(
      DatabaseOpenError,
    );
  });
});
