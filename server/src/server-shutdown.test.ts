import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../test/fake-provider.js';
import { chainRows, onlyRow, rejectionOf, within } from '../test/llm-harness.js';
import { type RunningServer, startRunningServer } from '../test/running-server.js';
import { openTestDatabase } from '../test/test-database.js';
import type { DatabaseHandle } from './db/client.js';
import { newChainId } from './llm/chain-context.js';
import { AbortedError } from './llm/errors/index.js';

const ORDER_MESSAGE = { from: 'grace@example.com', subject: 'Order 2051', body: 'Where is my order? It has not arrived yet.' };

describe('closing the server while an LLM call never answers', () => {
  let fake: FakeProvider;
  let database: DatabaseHandle;
  let running: RunningServer | undefined;
  beforeAll(async () => {
    fake = await startFakeProvider();
    database = await openTestDatabase();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
    await database.close();
  });

  it('aborts the call once the drain time is up: close resolves promptly, the ask rejects with AbortedError and its row is an error', async () => {
    const server = await startRunningServer({ fakeProvider: fake, database });
    running = server;
    fake.respondWith(() => ({ kind: 'hang' }));
    const chainId = newChainId();

    const aborted = rejectionOf(server.dependencies.llm.ask('intent recognition', ORDER_MESSAGE, { chainId }), AbortedError);
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { timeout: 5_000 });
    expect(server.dependencies.llm.inFlight()).toBe(1);

    // 300 ms to drain, then the aborted call gets its grace to write its row: well under the bound.
    await within(server.close(300), 5_000, 'the server closing');
    const error = await within(aborted, 1_000, 'the ask rejecting');

    expect(server.dependencies.llm.inFlight()).toBe(0);
    const row = onlyRow(await chainRows(database.db, chainId));
    expect(row).toMatchObject({
      id: error.logId,
      name: 'intent recognition',
      status: 'error',
      error: { class: 'AbortedError', code: 'aborted' },
    });
    expect(row.finished_at).toBeInstanceOf(Date);
  });
});
