import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import { down, up } from './migrations/2026-12-05T1100-inference-log-call-id.js';
import * as firstAttempts from './migrations/2026-12-05T1400-call-id-on-first-attempts.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

type Status = 'ok' | 'error';

/** A log row of `chainId`, `milliseconds` after a fixed start, as a writer that names no call writes it. */
function row(chainId: string, attempt: number, status: Status, milliseconds: number) {
  const createdAt = new Date(Date.parse('2026-12-01T10:00:00Z') + milliseconds);
  return {
    id: uuidv7(),
    chain_id: chainId,
    name: 'intent recognition',
    provider: 'offline',
    model: 'default',
    status,
    attempt,
    request: JSON.stringify({ messages: [] }),
    error: status === 'error' ? JSON.stringify({ class: 'ProviderError', message: 'overloaded' }) : null,
    created_at: createdAt,
    finished_at: createdAt,
  };
}

async function callsOf(chainId: string): Promise<Map<string, string>> {
  const rows = await sql<{ id: string; call: string }>`
    select id, coalesce(call_id, id) as call from inference_log where chain_id = ${chainId}`.execute(database.db);
  return new Map(rows.rows.map((stored) => [stored.id, stored.call]));
}

async function summaryOf(chainId: string) {
  const { rows } = await sql<{ status: string; calls: number; attempts: number }>`
    select status, calls, attempts from chain_summary where chain_id = ${chainId}`.execute(database.db);
  return rows[0];
}

describe('inference_log.call_id', () => {
  it('is given by the database to a retry written without it: the newest failed attempt before it not yet continued', async () => {
    // An earlier version's instance, or a chain step resumed in another process: two calls of one task failed,
    // then two retries came, naming no call.
    const chainId = uuidv7();
    const first = row(chainId, 1, 'error', 0);
    const second = row(chainId, 1, 'error', 1);
    const retries = [row(chainId, 2, 'ok', 2), row(chainId, 2, 'ok', 3)];
    await database.db.insertInto('inference_log').values([first, second]).execute();
    for (const retry of retries) await database.db.insertInto('inference_log').values(retry).execute();

    const calls = await callsOf(chainId);
    expect([retries[0], retries[1]].map((retry) => calls.get(retry?.id ?? ''))).toEqual([second.id, first.id]);
    expect(await summaryOf(chainId)).toEqual({ status: 'succeeded', calls: 2, attempts: 4 });
  });

  it('finds the attempt a retry continues in the same statement, and keeps the call a writer names', async () => {
    const chainId = uuidv7();
    const [attempt1, attempt2, attempt3] = [
      row(chainId, 1, 'error', 0),
      row(chainId, 2, 'error', 1),
      row(chainId, 3, 'error', 2),
    ];
    const named = { ...row(chainId, 2, 'ok', 3), call_id: uuidv7() };
    await database.db.insertInto('inference_log').values([attempt1, attempt2, attempt3, named]).execute();

    const calls = await callsOf(chainId);
    expect([attempt1, attempt2, attempt3, named].map((attempt) => calls.get(attempt?.id ?? ''))).toEqual([
      attempt1?.id,
      attempt1?.id,
      attempt1?.id,
      named.call_id,
    ]);
    // The call of three failed attempts failed for good, whatever the other (named) call did.
    expect(await summaryOf(chainId)).toMatchObject({ status: 'failed', attempts: 4 });
  });

  it("is a first attempt's own id when it is written without one (by an earlier version's instance)", async () => {
    const storedCalls = async (chainId: string) =>
      (
        await sql<{ call_id: string | null }>`
          select call_id from inference_log where chain_id = ${chainId} order by created_at`.execute(database.db)
      ).rows.map((stored) => stored.call_id);
    const chainId = uuidv7();
    const first = row(chainId, 1, 'error', 0);
    const retry = row(chainId, 2, 'ok', 1);
    await database.db.insertInto('inference_log').values(first).execute();
    await database.db.insertInto('inference_log').values(retry).execute();
    expect(await storedCalls(chainId)).toEqual([first.id, first.id]);

    // Before the migration, such a row kept a null, which `group by call_id` put with every other.
    await firstAttempts.down(database.db);
    try {
      const before = row(uuidv7(), 1, 'ok', 2);
      await database.db.insertInto('inference_log').values(before).execute();
      expect(await storedCalls(before.chain_id)).toEqual([null]);
    } finally {
      await firstAttempts.up(database.db);
    }
  });

  it('is given to the retries logged before the column when the migration adds it, and the summary reads them alike', async () => {
    await down(database.db);
    const chainId = uuidv7();
    const rows = [
      row(chainId, 1, 'error', 0),
      row(chainId, 1, 'error', 1),
      row(chainId, 2, 'error', 2),
      row(chainId, 3, 'ok', 3),
      row(chainId, 2, 'ok', 4),
    ];
    await database.db.insertInto('inference_log').values(rows).execute();
    await up(database.db);
    await firstAttempts.up(database.db);

    const calls = await callsOf(chainId);
    const [a1, b1, b2, b3, a2] = rows.map((logged) => calls.get(logged.id));
    expect([a1, b1, b2, b3, a2]).toEqual([rows[0]?.id, rows[1]?.id, rows[1]?.id, rows[1]?.id, rows[0]?.id]);
    expect(await summaryOf(chainId)).toEqual({ status: 'succeeded', calls: 2, attempts: 5 });
  });
});
