import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../test/test-database.js';
import { openDatabase } from './client.js';
import type { DatabaseTarget } from './dialect.js';
import { explainOpenFailure } from './open-problem.js';

/** The test PostgreSQL's URL with another user or database. */
function urlWith(change: (url: URL) => void): string {
  const url = new URL(testDatabaseUrl());
  change(url);
  return url.toString();
}

async function explainedMessage(target: DatabaseTarget): Promise<string> {
  const error = await openDatabase(target).then(
    async (database) => {
      await database.close();
      throw new Error('the database opened');
    },
    (failure: unknown) => explainOpenFailure(failure, target),
  );
  return error instanceof Error ? error.message : String(error);
}

describe('explainOpenFailure against a real PostgreSQL', () => {
  const server = new URL(testDatabaseUrl());
  const port = server.port || '5432';
  const where = `${server.hostname}:${port}`;

  it('says the server has no database of that name, and how to make it', async () => {
    const url = urlWith((url) => {
      url.pathname = '/chainlog_no_such_database';
    });

    expect(await explainedMessage({ kind: 'postgres', url })).toBe(
      `DATABASE_URL: PostgreSQL at ${where} has no database "chainlog_no_such_database" (create it: createdb -h ${server.hostname} -p ${port}${server.username ? ` -U ${server.username}` : ''} chainlog_no_such_database)`,
    );
  });

  it('says the server refused the user, with its reason', async () => {
    const url = urlWith((url) => {
      url.username = 'chainlog_no_such_role';
    });

    expect(await explainedMessage({ kind: 'postgres', url })).toBe(
      `DATABASE_URL: PostgreSQL at ${where} refused user "chainlog_no_such_role": role "chainlog_no_such_role" does not exist`,
    );
  });
});
