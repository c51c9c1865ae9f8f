import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { TASKS } from '../tasks/index.js';
import { createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { createAppDependencies } from '../app-dependencies.js';
import { offlineLlm } from '../../test/offline-llm.js';

const EXPECTED_DATABASE = process.env.CHAINLOG_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

describe('the health query', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  it('reports ok, the database kind and the registered task names', async () => {
    const llm = offlineLlm(database);
    const startedAt = new Date(Date.now() - 90_000);
    const caller = createCaller(
      createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1, startedAt })),
    );

    const health = await caller.health();

    expect(health).toEqual({
      status: 'ok',
      database: EXPECTED_DATABASE,
      instanceId: null,
      uptimeSeconds: expect.any(Number),
      tasks: TASKS.map((task) => task.name),
    });
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(90);
  });
});
