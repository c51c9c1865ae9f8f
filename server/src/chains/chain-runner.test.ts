import type { ChainEvent } from '@chainlog/shared';
import { v7 as uuidv7 } from 'uuid';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../test/llm-harness.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import { findChain, insertChain, listChainEventsAfter } from '../db/queries/chains.js';
import type { AskResult } from '../llm/ask.js';
import { newChainId } from '../llm/chain-context.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import { type ChainRun, ChainRunner, type ChainWork } from './chain-runner.js';
import { ChainEventBus } from './event-bus.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** A step result as ask() would return it, without calling a model. */
function askResult<Output>(chainId: string, output: Output): AskResult<Output> {
  return {
    output,
    chainId,
    logId: uuidv7(),
    usage: { inputTokens: 10, outputTokens: 2 },
    costUsd: null,
    provider: 'test',
    model: 'test-model',
    attempts: 1,
    latencyMs: 5,
  };
}

/** Resolves with the chain's chain_finished event, published on `bus` after the call. */
function chainFinished(bus: ChainEventBus, chainId: string, timeoutMs = 5_000): Promise<ChainEvent> {
  let unsubscribe = () => {};
  const finished = new Promise<ChainEvent>((resolve) => {
    unsubscribe = bus.subscribe((event) => {
      if (event.payload.type === 'chain_finished') resolve(event);
    }, chainId);
  });
  return within(finished, timeoutMs, `chain_finished of ${chainId}`).finally(unsubscribe);
}

describe('the chain runner', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  async function newRunningChain(name: string): Promise<string> {
    const chainId = newChainId();
    await insertChain(database.db, { id: chainId, name, status: 'running', input: JSON.stringify({}) });
    return chainId;
  }

  it('holds a place per reservation, so a full queue refuses before anything is stored, and a cancelled place comes back', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 1, maxWaiting: 1 });
    const release = deferred();
    const running = await newRunningChain('holds the run slot');
    await runner.enqueue(running, () => release.promise);

    const held = runner.reserve();
    expect(() => runner.reserve()).toThrow(ChainQueueFullError);
    held.cancel();
    held.cancel();
    const again = runner.reserve();
    expect(() => runner.reserve()).toThrow(new ChainQueueFullError(1));
    const waiting = await newRunningChain('waits');
    expect(await again.enqueue(waiting, async () => undefined)).toBe(true);
    expect(runner.counts()).toEqual({ running: 1, waiting: 1 });
    await expect(runner.enqueue(newChainId(), async () => undefined)).rejects.toThrow(ChainQueueFullError);

    const finished = chainFinished(bus, waiting);
    release.resolve();
    await finished;
    expect(runner.counts()).toEqual({ running: 0, waiting: 0 });
  });

  it('runs at most maxRunning chains at once and starts the waiting ones in submission order, whichever finishes first', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 2, maxWaiting: 1_000 });
    const chains = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map(async (name) => ({ id: await newRunningChain(`fifo ${name}`), started: deferred(), release: deferred() })),
    );
    const [a, b, c, d, e] = chains;
    if (!a || !b || !c || !d || !e) throw new Error('expected five chains');
    const startOrder: string[] = [];
    let runningNow = 0;
    let mostAtOnce = 0;
    const work: ChainWork = async ({ chainId }) => {
      const chain = chains.find((candidate) => candidate.id === chainId);
      runningNow += 1;
      mostAtOnce = Math.max(mostAtOnce, runningNow);
      startOrder.push(chainId);
      chain?.started.resolve();
      await chain?.release.promise;
      runningNow -= 1;
    };
    const hasStarted = (chain: typeof a) => within(chain.started.promise, 5_000, `chain ${chain.id} to start`);
    const finishedAll = Promise.all(chains.map((chain) => chainFinished(bus, chain.id)));

    for (const chain of chains) void runner.enqueue(chain.id, work);
    await Promise.all([hasStarted(a), hasStarted(b)]);

    expect(runner.counts()).toEqual({ running: 2, waiting: 3 });
    // a and b start together; which of them reaches its work first is up to the database.
    expect([...startOrder].sort()).toEqual([a.id, b.id].sort());

    // b finishes first: c (not the last one queued) takes its place.
    b.release.resolve();
    await hasStarted(c);
    expect(runner.counts()).toEqual({ running: 2, waiting: 2 });
    a.release.resolve();
    await hasStarted(d);
    d.release.resolve();
    await hasStarted(e);
    expect(runner.counts()).toEqual({ running: 2, waiting: 0 });
    c.release.resolve();
    e.release.resolve();
    const finished = await finishedAll;

    expect(startOrder.slice(2)).toEqual([c.id, d.id, e.id]);
    expect(mostAtOnce).toBe(2);
    expect(finished.map((event) => event.payload)).toEqual(chains.map(() => ({ type: 'chain_finished', status: 'succeeded', error: null })));
    expect(runner.counts()).toEqual({ running: 0, waiting: 0 });
    for (const chain of chains) expect((await findChain(database.db, chain.id))?.status).toBe('succeeded');
  });

  it('stores every event before a subscriber hears of it: a listener finds each one in chain_event', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 1, maxWaiting: 1_000 });
    const chainId = await newRunningChain('stored first');
    const heard: ChainEvent[] = [];
    const readBacks: Promise<unknown>[] = [];
    const unsubscribe = bus.subscribe((event) => {
      heard.push(event);
      // Issued from inside the listener, before the runner records anything else.
      readBacks.push(database.db.selectFrom('chain_event').selectAll().where('id', '=', event.id).executeTakeFirst());
    }, chainId);
    const work: ChainWork = async (run: ChainRun) => {
      await run.step('first step', async () => askResult(run.chainId, { answer: 1 }));
      await run.step('second step', async () => askResult(run.chainId, { answer: 2 }));
    };
    const finished = chainFinished(bus, chainId);

    void runner.enqueue(chainId, work);
    await finished;
    unsubscribe();

    const rows = await Promise.all(readBacks);
    expect(heard.map((event) => event.payload.type)).toEqual([
      'chain_started',
      'step_started',
      'step_finished',
      'step_started',
      'step_finished',
      'chain_finished',
    ]);
    expect(rows).toEqual(
      heard.map((event) =>
        expect.objectContaining({ chain_id: chainId, type: event.payload.type, payload: event.payload, created_at: new Date(event.createdAt) }),
      ),
    );
    const stored = await listChainEventsAfter(database.db, chainId, null);
    // int8 reads back as a string on pg, a number on PGlite.
    expect(stored.map((row) => String(row.id))).toEqual(heard.map((event) => event.id));
  });

  it('records a step that throws as step_failed and the chain as failed, and keeps running the next chain', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 1, maxWaiting: 1_000 });
    const [failing, next] = [await newRunningChain('throws'), await newRunningChain('after the failure')];
    const heard: ChainEvent[] = [];
    const unsubscribe = bus.subscribe((event) => heard.push(event), failing);
    const finished = Promise.all([chainFinished(bus, failing), chainFinished(bus, next)]);

    void runner.enqueue(failing, async (run) => {
      await run.step('broken step', () => Promise.reject(new TypeError('the step broke')));
    });
    void runner.enqueue(next, async () => undefined);
    const [failed, succeeded] = await finished;
    unsubscribe();

    // Only our typed LLM errors are shown as they are; anything else might quote SQL or a driver.
    const error = { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
    expect(heard.map((event) => event.payload)).toEqual([
      { type: 'chain_started' },
      { type: 'step_started', step: 1, name: 'broken step' },
      { type: 'step_failed', step: 1, name: 'broken step', error, logId: null },
      { type: 'chain_finished', status: 'failed', error },
    ]);
    expect(failed.payload).toEqual({ type: 'chain_finished', status: 'failed', error });
    expect(await findChain(database.db, failing)).toMatchObject({ status: 'failed', error, finished_at: expect.any(Date) });
    expect(succeeded.payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
  });
  it('at shutdown ends the chains still waiting as interrupted, with their chain_finished, and waits for the running one', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 1, maxWaiting: 1_000 });
    const [runningChain, waitingChain] = [await newRunningChain('running at shutdown'), await newRunningChain('waiting at shutdown')];
    const started = deferred();
    const release = deferred();
    const waitingFinished = chainFinished(bus, waitingChain);
    void runner.enqueue(runningChain, async () => {
      started.resolve();
      await release.promise;
    });
    void runner.enqueue(waitingChain, async () => {
      throw new Error('a waiting chain must not start during shutdown');
    });
    await started.promise;

    const drained = runner.drain(5_000);
    const finishedEvent = await waitingFinished;
    release.resolve();

    expect(await drained).toBe(true);
    expect(finishedEvent.payload).toEqual({
      type: 'chain_finished',
      status: 'interrupted',
      error: { class: 'Interrupted', message: 'the server stopped before this chain started' },
    });
    expect(await findChain(database.db, waitingChain)).toMatchObject({ status: 'interrupted', finished_at: expect.any(Date) });
    expect(await findChain(database.db, runningChain)).toMatchObject({ status: 'succeeded' });
    expect(runner.isAccepting()).toBe(false);
  });

  it('ends a chain stored while shutdown began as interrupted, with its chain_finished, instead of queuing it', async () => {
    const bus = new ChainEventBus();
    const runner = new ChainRunner({ db: database.db, bus, maxRunning: 1, maxWaiting: 1_000 });
    const chainId = await newRunningChain('stored as shutdown began');
    await runner.drain(5_000);
    const finished = chainFinished(bus, chainId);

    const queued = await runner.enqueue(chainId, async () => {
      throw new Error('a chain must not start during shutdown');
    });

    expect(queued).toBe(false);
    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'interrupted' });
    expect(await findChain(database.db, chainId)).toMatchObject({ status: 'interrupted', finished_at: expect.any(Date) });
  });

  it('tries again to record the end of a chain when the database fails it, so the chain still ends with its chain_finished', async () => {
    const bus = new ChainEventBus();
    const failures = failingUpdates(2);
    const runner = new ChainRunner({ db: database.db.withPlugin(failures), bus, maxRunning: 1, maxWaiting: 1_000 });
    const chainId = await newRunningChain('end recorded on the third try');
    const finished = chainFinished(bus, chainId);

    await runner.enqueue(chainId, async () => undefined);

    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
    expect(failures.failed).toBe(2);
    expect(await findChain(database.db, chainId)).toMatchObject({ status: 'succeeded' });
  });
});

/**
 * Fails the first `failures` statements that update a table, as a dropped connection would, through Kysely's own
 * plugin hook; every other statement runs as usual.
 */
function failingUpdates(failures: number): KyselyPlugin & { failed: number } {
  return {
    failed: 0,
    transformQuery({ node }) {
      if (node.kind === 'UpdateQueryNode' && this.failed < failures) {
        this.failed++;
        throw new Error('connection terminated unexpectedly');
      }
      return node;
    },
    transformResult: async ({ result }) => result,
  };
}
