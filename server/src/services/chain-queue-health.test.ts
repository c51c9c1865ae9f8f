import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import type { DatabaseHandle } from '../db/client.js';
import { jobsSchemaFor } from '../db/jobs-schema.js';

// The chain queue's table renamed away (a revoked grant or a lock timing out would do the same): the runner cannot
// take chains, and /healthz says so while the instance keeps answering 200.

const TOKEN = 'chain-queue-health-test-token-0123456789';

let database: DatabaseHandle & { schema?: string };
let server: RunningServer;

beforeAll(async () => {
  database = await openTestDatabase();
  server = await startRunningServer({ database, env: { CHAINLOG_TOKEN: TOKEN } });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

async function health(token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/healthz`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the chain queue on /healthz', () => {
  it('says the queue is unreadable, and why only to a caller with the token, then ok again once it can be read', async () => {
    expect((await health()).body.chains).toEqual({ queue: 'ok', running: 0, waiting: 0 });

    const schema = jobsSchemaFor(database.schema);
    await sql`alter table ${sql.id(schema, 'job')} rename to job_away`.execute(database.db);
    try {
      await expect
        .poll(async () => (await health()).body.chains, { timeout: 15_000 })
        .toMatchObject({
          queue: 'unreadable',
        });
      const open = await health();
      expect(open.status).toBe(200);
      expect(open.body.status).toBe('ok');
      expect(open.body.chains).not.toHaveProperty('problem');

      const trusted = await health(TOKEN);
      expect(trusted.body.chains).toMatchObject({
        queue: 'unreadable',
        running: 0,
        problem: { failures: expect.any(Number), reason: expect.stringMatching(/job" does not exist/) },
      });
    } finally {
      await sql`alter table if exists ${sql.id(schema, 'job_away')} rename to job`.execute(database.db);
    }
    // The runner looks again after a growing wait (one poll, doubled each time): a few seconds here.
    await expect
      .poll(async () => (await health()).body.chains, { timeout: 20_000 })
      .toEqual({
        queue: 'ok',
        running: 0,
        waiting: 0,
      });
  });
});
