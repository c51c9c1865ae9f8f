import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import type { ServerProcess } from '../../test/server-process.js';
import { startSchemaInstance } from '../../test/shared-schema-instance.js';
import { dropSchemaStatement, testDatabaseUrl, withAdminClient } from '../../test/test-database.js';

// Two real server processes given the same CHAINLOG_INSTANCE_ID (a copied deployment file): the second must not
// take the first for its own dead earlier life, which would end the first's calls and hand back its chains.
const LEASE = { CHAINLOG_INSTANCE_HEARTBEAT_MS: '200', CHAINLOG_INSTANCE_LEASE_MS: '1000' };

let fake: FakeProvider;
let schema: string;
const started: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeProvider();
  schema = `test_shared_id_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(`create schema ${schema}`));
}, 60_000);

afterAll(async () => {
  for (const server of started) server.child.kill('SIGKILL');
  await Promise.all(started.map((server) => server.exited));
  await fake?.close();
  await withAdminClient(testDatabaseUrl(), (admin) => admin.query(dropSchemaStatement(schema)));
});

describe('two server processes under one CHAINLOG_INSTANCE_ID', () => {
  it('the second refuses to start, saying why in one line, and the first keeps serving', async () => {
    const instanceId = randomUUID();
    const first = await startSchemaInstance({ databaseUrl: testDatabaseUrl(), schema, fake, instanceId, env: LEASE });
    started.push(first);

    const second = startSchemaInstance({ databaseUrl: testDatabaseUrl(), schema, fake, instanceId, env: LEASE });

    const error = await second.then(
      () => new Error('the second process started'),
      (refused: unknown) => refused,
    );
    expect(String(error)).toMatch(/exited \(1\) before it listened/);
    expect(String(error)).toContain(`CHAINLOG_INSTANCE_ID ${instanceId} is in use by a live process`);
    expect(String(error)).not.toMatch(/\n\s+at /);
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(first.output()).not.toMatch(/taken over|took instance id/);
  }, 60_000);
});
