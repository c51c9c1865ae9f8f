import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from './client.js';
import type { LogStatement } from './inference-log-statements.js';
import {
  type ExecuteLogStatement,
  type InferenceLogWriter,
  createInferenceLogWriter,
  createLogWriterFor,
} from './inference-log-writer.js';
import { findLog, listChainLogs } from './queries/inference-log.js';
import type { InferenceLog, NewInferenceLog } from './tables/inference-log.js';

let database: DatabaseHandle;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

/** A row as ask() writes it before the provider answers. */
function pendingRow(chainId: string): NewInferenceLog {
  const id = uuidv7();
  return {
    id,
    chain_id: chainId,
    chain_step: 3,
    name: 'writer test',
    provider: 'openai',
    model: 'gpt-4.1-mini',
    status: 'pending',
    attempt: 1,
    request: JSON.stringify({ messages: [{ role: 'user', content: `the call logged as ${id}` }] }),
    created_at: new Date('2026-03-01T09:00:00.000Z'),
  };
}

/** The same attempt once the provider answered. */
function finishedRow(pending: NewInferenceLog): NewInferenceLog {
  return {
    ...pending,
    status: 'ok',
    response: JSON.stringify({ id: `response to ${pending.id}` }),
    output: JSON.stringify({ answer: 42 }),
    input_tokens: 120,
    output_tokens: 30,
    cost_usd: '0.00009600',
    price_source: 'genai-prices@0.1.8',
    latency_ms: 250.5,
    provider_request_id: `req_${pending.id}`,
    finished_at: new Date('2026-03-01T09:00:00.250Z'),
  };
}

/** What reading `finished` back gives: jsonb parsed, every column as written. */
function asStored(finished: NewInferenceLog): InferenceLog {
  return {
    id: finished.id,
    chain_id: finished.chain_id,
    chain_step: finished.chain_step ?? null,
    name: finished.name,
    provider: finished.provider,
    model: finished.model,
    status: finished.status,
    attempt: finished.attempt ?? 1,
    // A row written without its call is given one by the database: a first attempt its own id.
    call_id: finished.call_id ?? finished.id,
    instance_id: finished.instance_id ?? null,
    request: JSON.parse(finished.request),
    request_template_id: finished.request_template_id ?? null,
    response: finished.response ? JSON.parse(finished.response) : null,
    output: finished.output ? JSON.parse(finished.output) : null,
    error: finished.error ? JSON.parse(finished.error) : null,
    input_tokens: finished.input_tokens ?? null,
    output_tokens: finished.output_tokens ?? null,
    cost_usd: finished.cost_usd ?? null,
    price_source: finished.price_source ?? null,
    latency_ms: finished.latency_ms ?? null,
    provider_request_id: finished.provider_request_id ?? null,
    created_at: finished.created_at ?? new Date(0),
    finished_at: finished.finished_at ?? null,
  };
}

const LARGE_REQUEST = JSON.stringify({
  messages: [{ role: 'user', content: 'a support message of some length. '.repeat(60) }],
});

/**
 * The database's log statements as the writer sees them, recording the error code (SQLSTATE, e.g. 40P01 for a
 * deadlock victim) of every statement that fails, before the writer's own retries hide it.
 */
function recordingFailedStatements(execute: ExecuteLogStatement, failures: unknown[]): ExecuteLogStatement {
  return async (statement) => {
    try {
      await execute(statement);
    } catch (error) {
      failures.push(typeof error === 'object' && error !== null && 'code' in error ? error.code : error);
      throw error;
    }
  };
}

/** A writer on the test database with the given pending window, and its statements in the order it sends them. */
function recordedWriter(pendingRowsWindowMs: number): { writer: InferenceLogWriter; statements: LogStatement[] } {
  const statements: LogStatement[] = [];
  const execute: ExecuteLogStatement = (statement) => {
    statements.push(statement);
    return database.executeLogStatement(statement);
  };
  return {
    writer: createInferenceLogWriter(execute, { concurrency: database.logConcurrency, pendingRowsWindowMs }),
    statements,
  };
}

/**
 * Holds each statement until the test opens the gate for it (oldest first), recording it as it is sent, so the
 * test decides when the connection comes free.
 */
function gatedStatements(execute: ExecuteLogStatement, statements: LogStatement[]) {
  const waiting: (() => void)[] = [];
  return {
    execute: async (statement: LogStatement) => {
      statements.push(statement);
      await new Promise<void>((open) => waiting.push(open));
      await execute(statement);
    },
    openNext: () => waiting.shift()?.(),
  };
}

/** Resolves after a writer timer of 0 ms armed before it has fired: Node runs timers of one delay in order. */
function windowPassed(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Lets the event loop turn once, so rows written before and after go out in different batches. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

describe('the inference_log writer', () => {
  let writer: InferenceLogWriter;
  beforeAll(() => {
    writer = createLogWriterFor(database);
  });

  it('keeps a finished row finished when its pending row arrives after it', async () => {
    const pending = pendingRow(uuidv7());
    const finished = finishedRow(pending);

    await writer.write(finished);
    await writer.write(pending);

    expect(await listChainLogs(database.db, pending.chain_id)).toEqual([asStored(finished)]);
  });

  it.each([
    ['pending first', (pending: NewInferenceLog, finished: NewInferenceLog) => [pending, finished]],
    ['finished first', (pending: NewInferenceLog, finished: NewInferenceLog) => [finished, pending]],
  ])(
    'writes one finished row for a pending and a finished row of one id written together (%s)',
    async (_order, arrange) => {
      const failedStatements: unknown[] = [];
      const recordingWriter = createInferenceLogWriter(
        recordingFailedStatements(database.executeLogStatement, failedStatements),
        {
          concurrency: database.logConcurrency,
        },
      );
      const pending = pendingRow(uuidv7());
      const finished = finishedRow(pending);

      // Written in the same tick: the finished row takes the place of a pending row still queued, and a pending row
      // queued after its finished row cannot undo it.
      await Promise.all(arrange(pending, finished).map((row) => recordingWriter.write(row)));

      expect(await listChainLogs(database.db, pending.chain_id)).toEqual([asStored(finished)]);
      expect(failedStatements).toEqual([]);
    },
  );

  it('finishes every row when many pending rows and their finished rows in reverse order are written concurrently', async () => {
    // PostgreSQL deadlocks when two statements lock the same rows in opposite orders: pending rows arrive in start
    // order, finished ones in answer order. Batches of 50, one a turn, keep statements running on every log
    // connection at once (two on PostgreSQL), the pending rows going out as soon as a timer allows, so that they
    // overlap the finished ones.
    // The writer retries a batch that failed (deadlock victims included), so every row would land anyway: only the
    // failed statements show whether the rows were locked in one order.
    const failedStatements: unknown[] = [];
    const concurrentWriter = createInferenceLogWriter(
      recordingFailedStatements(database.executeLogStatement, failedStatements),
      {
        concurrency: 8,
        pendingRowsWindowMs: 0,
      },
    );
    const rounds = 5;
    const rowsPerRound = 300;

    for (let round = 0; round < rounds; round++) {
      const chainId = uuidv7();
      // Requests of a realistic size keep each statement busy long enough for the next ones to overlap it.
      const pendings = Array.from({ length: rowsPerRound }, () => ({ ...pendingRow(chainId), request: LARGE_REQUEST }));
      const finishedInReverse = pendings.map(finishedRow).reverse();
      const failures: unknown[] = [];
      const writes: Promise<void>[] = [];
      for (const batch of [...chunksOf(pendings, 50), ...chunksOf(finishedInReverse, 50)]) {
        // Each write records its own failure at once, so none goes unhandled while the loop still runs.
        writes.push(
          ...batch.map((row) => concurrentWriter.write(row).catch((error: unknown) => void failures.push(error))),
        );
        await nextTurn();
      }
      await Promise.all(writes);

      expect(failures).toEqual([]);
      const rows = await listChainLogs(database.db, chainId);
      expect(rows).toHaveLength(rowsPerRound);
      expect(rows.filter((row) => row.status !== 'ok' || row.finished_at === null).map((row) => row.id)).toEqual([]);
    }
    expect(failedStatements).toEqual([]);
    // 3,000 rows of 2 KB requests: on PGlite, on a machine shared with other test runs, past the default 30 s.
  }, 90_000);

  it.each([
    ['a pending row', (row: NewInferenceLog) => row],
    ['a finished row', finishedRow],
  ])(
    'fails only the write of a bad row (%s with a chain_id that is not a UUID); the good rows of its batch land',
    async (_kind, shape) => {
      const chainId = uuidv7();
      const goodPending = pendingRow(chainId);
      const goodFinished = finishedRow(pendingRow(chainId));
      const bad = shape({ ...pendingRow(chainId), chain_id: 'not-a-uuid' });

      // Written in the same tick, the bad row shares a statement with the good row of its lane.
      const [pendingOutcome, badOutcome, finishedOutcome] = await Promise.allSettled([
        writer.write(goodPending),
        writer.write(bad),
        writer.write(goodFinished),
      ]);

      expect(pendingOutcome.status).toBe('fulfilled');
      expect(finishedOutcome.status).toBe('fulfilled');
      expect(badOutcome).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/uuid/i) }),
      });
      expect(await findLog(database.db, bad.id)).toBeUndefined();
      const rows = await listChainLogs(database.db, chainId);
      const expected: [string, string][] = [
        [goodPending.id, 'pending'],
        [goodFinished.id, 'ok'],
      ];
      // Same created_at: listChainLogs orders them by id.
      expect(rows.map((row) => [row.id, row.status])).toEqual(
        expected.sort(([left], [right]) => (left < right ? -1 : 1)),
      );
      expect(rows.find((row) => row.id === goodFinished.id)).toEqual(asStored(goodFinished));
    },
  );
  it('writes a call answered within the pending window as one finished row, in one statement', async () => {
    const { writer: windowed, statements } = recordedWriter(1_000);
    const pending = pendingRow(uuidv7());
    const finished = finishedRow(pending);

    const pendingWritten = windowed.write(pending);
    await nextTurn();
    await Promise.all([pendingWritten, windowed.write(finished)]);

    expect(await listChainLogs(database.db, pending.chain_id)).toEqual([asStored(finished)]);
    expect(statements.map((statement) => statement.values[0])).toEqual([pending.id]);
  });

  it('sends the pending rows of one window together, and a finished row at the end of its turn without waiting for them', async () => {
    // Long enough that the finished row is committed before the window closes, even on a slow machine.
    const { writer: windowed, statements } = recordedWriter(400);
    const chainId = uuidv7();
    const pendings = [pendingRow(chainId), pendingRow(chainId), pendingRow(chainId)];
    const finished = finishedRow(pendingRow(chainId));

    const pendingsWritten = Promise.all(pendings.map((row) => windowed.write(row)));
    await windowed.write(finished);
    expect(statements).toHaveLength(1);
    expect(await findLog(database.db, pendings[0]?.id ?? '')).toBeUndefined();
    await pendingsWritten;

    expect(statements).toHaveLength(2);
    const rows = await listChainLogs(database.db, chainId);
    expect(rows.filter((row) => row.status === 'pending').map((row) => row.id)).toEqual(pendings.map((row) => row.id));
    expect(rows.find((row) => row.id === finished.id)).toEqual(asStored(finished));
  });
  it('opens a new window for the pending rows after each one, so a later call answered within it writes one row', async () => {
    const { writer: windowed, statements } = recordedWriter(400);
    const first = pendingRow(uuidv7());
    await windowed.write(first);
    const second = pendingRow(first.chain_id);
    const secondFinished = finishedRow(second);

    const secondWritten = windowed.write(second);
    await nextTurn();
    await Promise.all([secondWritten, windowed.write(secondFinished)]);

    expect(statements.map((statement) => [statement.name, statement.values[0]])).toEqual([
      ['inference_log_pending_1', first.id],
      ['inference_log_upsert_1', second.id],
    ]);
  });

  it('closes a window whose pending rows were all replaced, so the next pending row waits for a window of its own', async () => {
    const windowMs = 100;
    const { writer: windowed, statements } = recordedWriter(windowMs);
    const chainId = uuidv7();
    const first = pendingRow(chainId);
    const firstWritten = windowed.write(first);
    await nextTurn();
    await Promise.all([firstWritten, windowed.write(finishedRow(first))]);
    // Past the end of the replaced window: left open, it would make the next pending row due at once.
    await new Promise((resolve) => setTimeout(resolve, windowMs * 1.5));
    const second = pendingRow(chainId);
    const other = finishedRow(pendingRow(chainId));
    // The other call's finished row makes the writer send what is due at this turn's end.
    const writes = [windowed.write(second), windowed.write(other)];
    await nextTurn();
    writes.push(windowed.write(finishedRow(second)));
    await Promise.all(writes);

    expect(statements.map((statement) => [statement.name, statement.values[0]])).toEqual([
      ['inference_log_upsert_1', first.id],
      ['inference_log_upsert_1', other.id],
      ['inference_log_upsert_1', second.id],
    ]);
  });

  it('sends due pending rows in the statement of the finished rows waiting with them, one commit for both lanes', async () => {
    const statements: LogStatement[] = [];
    const gate = gatedStatements(database.executeLogStatement, statements);
    const single = createInferenceLogWriter(gate.execute, { concurrency: 1, pendingRowsWindowMs: 0 });
    const chainId = uuidv7();
    const [first, second] = [finishedRow(pendingRow(chainId)), finishedRow(pendingRow(chainId))];
    const [early, late] = [pendingRow(chainId), pendingRow(chainId)];

    const writes = [single.write(first)];
    await vi.waitFor(() => expect(statements).toHaveLength(1));
    writes.push(single.write(early));
    await windowPassed();
    writes.push(single.write(second));
    await nextTurn();
    gate.openNext();
    await vi.waitFor(() => expect(statements).toHaveLength(2));
    writes.push(single.write(late));
    await windowPassed();
    gate.openNext();
    // With no finished row waiting, a due pending row goes in a statement of its own.
    await vi.waitFor(() => expect(statements).toHaveLength(3));
    gate.openNext();
    await Promise.all(writes);

    const ids = (statement: LogStatement | undefined) =>
      statement?.values.filter((value) => [first, second, early, late].some((row) => row.id === value));
    expect(statements.map(ids)).toEqual([[first.id], [second.id, early.id].sort(), [late.id]]);
    expect(statements.map((statement) => statement.name)).toEqual([
      'inference_log_upsert_1',
      'inference_log_upsert_2',
      'inference_log_pending_1',
    ]);
    const rows = await listChainLogs(database.db, chainId);
    expect(rows.map((row) => [row.id, row.status])).toEqual(
      expect.arrayContaining([
        [second.id, 'ok'],
        [early.id, 'pending'],
        [late.id, 'pending'],
      ]),
    );
  });

  it('keeps the pending row of a call whose finished row fails to be written, and fails only that call', async () => {
    const windowed = createInferenceLogWriter(database.executeLogStatement, {
      concurrency: database.logConcurrency,
      pendingRowsWindowMs: 400,
    });
    const pending = pendingRow(uuidv7());
    // 2^31 does not fit inference_log.input_tokens (integer).
    const unwritable = { ...finishedRow(pending), input_tokens: 2 ** 31 };

    const pendingWritten = windowed.write(pending);
    await nextTurn();
    const [pendingOutcome, finishedOutcome] = await Promise.allSettled([pendingWritten, windowed.write(unwritable)]);

    expect(finishedOutcome).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringMatching(/out of range/i) }),
    });
    expect(pendingOutcome.status).toBe('fulfilled');
    expect(await findLog(database.db, pending.id)).toMatchObject({
      id: pending.id,
      status: 'pending',
      request: JSON.parse(pending.request),
    });
  });
});
