import type { ChainEvent, ChainEventPayload } from '@chainlog/shared';
import { ColumnNode, type KyselyPlugin, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { within } from '../../test/llm-harness.js';
import { openTestDatabase } from '../../test/test-database.js';
import type { DatabaseHandle } from '../db/client.js';
import type { NewInferenceLog } from '../db/tables/inference-log.js';
import { findChain, insertChain, listChainEventsAfter } from '../db/queries/chains.js';
import type { AskResult } from '../llm/ask.js';
import { newChainId } from '../llm/chain-context.js';
import { AbortedError } from '../llm/errors/index.js';
import { type ChainRun, defineChain, registered } from './chain-definition.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import { ChainRunner, type ChainRunnerOptions, ShuttingDownError } from './chain-runner.js';
import { ChainEventBus } from './event-bus.js';
import { ChainJobs } from './jobs/chain-jobs.js';
import { offlineLlm } from '../../test/offline-llm.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
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
function chainFinished(bus: ChainEventBus, chainId: string, timeoutMs = 10_000): Promise<ChainEvent> {
  let unsubscribe = () => {};
  const finished = new Promise<ChainEvent>((resolve) => {
    unsubscribe = bus.subscribe((event) => {
      if (event.payload.type === 'chain_finished') resolve(event);
    }, chainId);
  });
  return within(finished, timeoutMs, `chain_finished of ${chainId}`).finally(unsubscribe);
}

/** Each test chain runs the work registered under its input's name: one definition serves every test. */
const works = new Map<string, (run: ChainRun) => Promise<void>>();
const testChain = defineChain({
  name: 'test chain',
  input: z.object({ work: z.string() }),
  async run(run, { work }) {
    const body = works.get(work);
    if (!body) throw new Error(`no work named ${work}`);
    await body(run);
  },
});

describe('the chain runner', () => {
  let database: DatabaseHandle;
  let jobs: ChainJobs;
  const runners: ChainRunner[] = [];
  beforeAll(async () => {
    database = await openTestDatabase();
    jobs = await ChainJobs.start(database, { supervise: false });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.drain(5_000)));
  });
  afterAll(() => database.close());

  function startRunner(options: Partial<ChainRunnerOptions> = {}): ChainRunner {
    const llm = offlineLlm(database);
    const runner = new ChainRunner({
      db: database.db,
      bus: new ChainEventBus(),
      jobs,
      llm,
      chains: [registered(testChain)],
      instanceId: null,
      maxRunning: 1,
      maxWaiting: 1_000,
      pollMs: 50,
      ...options,
    });
    runner.start();
    runners.push(runner);
    return runner;
  }

  function submit(runner: ChainRunner, work: (run: ChainRun) => Promise<void>): Promise<string> {
    const name = uuidv7();
    works.set(name, work);
    return runner.submit(testChain, { work: name });
  }

  it('stores every event before a subscriber hears of it, and runs the chain to its end', async () => {
    const bus = new ChainEventBus();
    const runner = startRunner({ bus });
    const heard: ChainEvent[] = [];
    const readBacks: Promise<unknown>[] = [];
    const unsubscribe = bus.subscribe((event) => {
      heard.push(event);
      // Issued from inside the listener, before the runner records anything else.
      readBacks.push(database.db.selectFrom('chain_event').selectAll().where('id', '=', event.id).executeTakeFirst());
    });

    const chainId = await submit(runner, async (run) => {
      await run.step('first step', async () => askResult(run.chainId, { answer: 1 }));
      await run.step('second step', async () => askResult(run.chainId, { answer: 2 }));
    });
    await chainFinished(bus, chainId);
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
        expect.objectContaining({ chain_id: chainId, type: event.payload.type, payload: event.payload }),
      ),
    );
    const stored = await listChainEventsAfter(database.db, chainId, null);
    // int8 reads back as a string on pg, a number on PGlite.
    expect(stored.map((row) => String(row.id))).toEqual(heard.map((event) => event.id));
    expect(await findChain(database.db, chainId)).toMatchObject({
      status: 'succeeded',
      input: { work: expect.any(String) },
    });
  });

  it('records a step that throws as step_failed and the chain as failed, and keeps running the next chain', async () => {
    const bus = new ChainEventBus();
    const runner = startRunner({ bus });
    const heard: ChainEvent[] = [];
    const unsubscribe = bus.subscribe((event) => heard.push(event));
    const failing = await submit(runner, async (run) => {
      await run.step('broken step', () => Promise.reject(new TypeError('the step broke')));
    });
    const next = await submit(runner, async () => undefined);
    const [failed, succeeded] = await Promise.all([chainFinished(bus, failing), chainFinished(bus, next)]);
    unsubscribe();

    // Only our typed LLM errors are shown as they are; anything else might quote SQL or a driver.
    const error = { class: 'InternalError', message: 'the chain stopped on an internal error (see the server log)' };
    expect(heard.filter((event) => event.chainId === failing).map((event) => event.payload)).toEqual([
      { type: 'chain_started' },
      { type: 'step_started', step: 1, name: 'broken step' },
      { type: 'step_failed', step: 1, name: 'broken step', error, logId: null },
      { type: 'chain_finished', status: 'failed', error },
    ]);
    expect(failed.payload).toEqual({ type: 'chain_finished', status: 'failed', error });
    expect(succeeded.payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
  });

  it('runs at most maxRunning chains at once; the rest wait in the queue, and past maxWaiting nothing more is stored', async () => {
    const bus = new ChainEventBus();
    const runner = startRunner({ bus, maxRunning: 2, maxWaiting: 2 });
    const release = deferred();
    let runningNow = 0;
    let mostAtOnce = 0;
    const work = async () => {
      runningNow += 1;
      mostAtOnce = Math.max(mostAtOnce, runningNow);
      await release.promise;
      runningNow -= 1;
    };
    const chains = [await submit(runner, work), await submit(runner, work)];
    await expect.poll(async () => (await runner.counts()).running).toBe(2);
    chains.push(await submit(runner, work), await submit(runner, work));
    expect(await jobs.queued()).toBe(2);

    const before = await database.db
      .selectFrom('chain')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    await expect(submit(runner, work)).rejects.toThrow(new ChainQueueFullError(2));
    const after = await database.db
      .selectFrom('chain')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(after.count)).toBe(Number(before.count));

    const finished = Promise.all(chains.map((chainId) => chainFinished(bus, chainId)));
    release.resolve();
    expect((await finished).map((event) => event.payload.type)).toEqual(chains.map(() => 'chain_finished'));
    expect(mostAtOnce).toBe(2);
    expect(await jobs.queued()).toBe(0);
  });

  it('hands a chain still running when draining runs out of time back to the queue, and another runner resumes it without calling its finished steps again', async () => {
    const first = startRunner();
    const secondStepStarted = deferred();
    const cutOff = deferred();
    const calls: string[] = [];
    const resumeAttempts: number[] = [];
    const chainId = await submit(first, async (run) => {
      const one = await run.step('first step', async () => {
        calls.push('first');
        return askResult(run.chainId, { answer: 1 });
      });
      await run.step('second step', async ({ firstAttempt }) => {
        calls.push('second');
        resumeAttempts.push(firstAttempt);
        if (calls.filter((call) => call === 'second').length === 1) {
          secondStepStarted.resolve();
          // Stopped by the shutdown, as ask() is once its call is aborted.
          await cutOff.promise;
        }
        return askResult(run.chainId, { answer: one.output.answer + 1 });
      });
    });
    await within(secondStepStarted.promise, 10_000, 'the second step to start');

    expect(await first.drain(50)).toBe(false);
    cutOff.reject(new AbortedError('aborted by the shutdown'));
    await expect.poll(async () => (await first.counts()).running).toBe(0);
    expect(await findChain(database.db, chainId)).toMatchObject({ status: 'running' });
    expect(await jobs.queued()).toBe(1);

    const bus = new ChainEventBus();
    const finished = chainFinished(bus, chainId);
    startRunner({ bus });
    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });

    expect(calls).toEqual(['first', 'second', 'second']);
    expect(resumeAttempts).toEqual([1, 1]);
    const events = (await listChainEventsAfter(database.db, chainId, null)).map((row) => row.payload);
    expect(events).toEqual([
      { type: 'chain_started' },
      { type: 'step_started', step: 1, name: 'first step' },
      expect.objectContaining({ type: 'step_finished', step: 1, output: { answer: 1 } }),
      { type: 'step_started', step: 2, name: 'second step' },
      { type: 'step_started', step: 2, name: 'second step' },
      expect.objectContaining({ type: 'step_finished', step: 2, output: { answer: 2 } }),
      { type: 'chain_finished', status: 'succeeded', error: null },
    ]);
  });

  it('stops a run whose chain was handed to another instance meanwhile: it records nothing more and leaves the job to the new owner', async () => {
    const bus = new ChainEventBus();
    const runner = startRunner({ bus, instanceId: uuidv7() });
    const stepStarted = deferred();
    const answer = deferred();
    const heard: ChainEvent[] = [];
    bus.subscribe((event) => heard.push(event));
    const chainId = await submit(runner, async (run) => {
      await run.step('slow step', async () => {
        stepStarted.resolve();
        await answer.promise;
        return askResult(run.chainId, { answer: 1 });
      });
    });
    await within(stepStarted.promise, 10_000, 'the step to start');

    // As a sweep that took this instance for dead, and another instance's claim, would leave it.
    await database.db.updateTable('chain').set({ instance_id: uuidv7() }).where('id', '=', chainId).execute();
    answer.resolve();
    await expect.poll(async () => (await runner.counts()).running).toBe(0);

    expect(heard.filter((event) => event.chainId === chainId).map((event) => event.payload.type)).toEqual([
      'chain_started',
      'step_started',
    ]);
    expect(await findChain(database.db, chainId)).toMatchObject({ status: 'running', finished_at: null });
    const job = await sql<{
      state: string;
    }>`select state from ${sql.id(jobs.schema, 'job')} where id = ${chainId}`.execute(database.db);
    expect(job.rows).toEqual([{ state: 'active' }]);
  });

  /** A chain as a run that died left it: stored, running, with these events and log rows, and its job queued. */
  /** A running chain of `testChain` doing `work`, stored without a job, as a submission stores it. */
  async function storedChain(work: (run: ChainRun) => Promise<void>): Promise<string> {
    const name = uuidv7();
    works.set(name, work);
    const chainId = newChainId();
    await insertChain(database.db, {
      id: chainId,
      name: testChain.name,
      status: 'running',
      input: JSON.stringify({ work: name }),
      instance_id: null,
    });
    return chainId;
  }

  /** Queues the stored chain's job, for a runner to take. */
  function queue(chainId: string): Promise<void> {
    return database.db.transaction().execute((transaction) => jobs.send(transaction, chainId));
  }

  async function leftByADeadRun(
    work: (run: ChainRun) => Promise<void>,
    events: ChainEventPayload[],
    rows: Partial<NewInferenceLog>[],
  ): Promise<string> {
    const chainId = await storedChain(work);
    for (const payload of [{ type: 'chain_started' } as const, ...events]) {
      await database.db
        .insertInto('chain_event')
        .values({ chain_id: chainId, type: payload.type, payload: JSON.stringify(payload) })
        .execute();
    }
    for (const row of rows) {
      await database.db
        .insertInto('inference_log')
        .values({
          id: uuidv7(),
          chain_id: chainId,
          name: 'intent recognition',
          provider: 'offline',
          model: 'default',
          chain_step: 1,
          status: 'ok',
          attempt: 1,
          request: JSON.stringify({ messages: [] }),
          instance_id: null,
          created_at: new Date(),
          ...row,
        })
        .execute();
    }
    return chainId;
  }

  const ORDER_MESSAGE = {
    from: 'ada@example.com',
    subject: 'Where is my order?',
    body: 'Order A-1042 has not arrived.',
  };
  const INTENT = { intent: 'order_status', confidence: 0.9, urgency: 'normal', rationale: 'asks where the order is' };

  it('replays a step whose call finished ok before its process died, from its log row, without calling it again', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const outputs: unknown[] = [];
    const answered = uuidv7();
    const chainId = await leftByADeadRun(
      async (run) => {
        outputs.push((await run.ask('intent recognition', ORDER_MESSAGE)).output);
      },
      [{ type: 'step_started', step: 1, name: 'intent recognition' }],
      [
        {
          id: answered,
          output: JSON.stringify(INTENT),
          input_tokens: 12,
          output_tokens: 5,
          cost_usd: '0.000100',
          latency_ms: 40,
          finished_at: new Date(),
        },
      ],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
    expect(outputs).toEqual([INTENT]);
    const rows = await database.db.selectFrom('inference_log').select('id').where('chain_id', '=', chainId).execute();
    expect(rows.map((row) => row.id)).toEqual([answered]);
    const events = (await listChainEventsAfter(database.db, chainId, null)).map((row) => row.payload);
    expect(events.at(-2)).toMatchObject({
      type: 'step_finished',
      step: 1,
      logId: answered,
      output: INTENT,
      costUsd: '0.00010000',
    });
  });

  it('replays a step of your own, named unlike its task, from the log row of its call that finished ok', async () => {
    const bus = new ChainEventBus();
    const llm = offlineLlm(database);
    startRunner({ bus, llm });
    let calls = 0;
    const outputs: unknown[] = [];
    const answered = uuidv7();
    const chainId = await leftByADeadRun(
      async (run) => {
        const result = await run.step('classify the message', ({ firstAttempt }) => {
          calls += 1;
          return llm.ask('intent recognition', ORDER_MESSAGE, { firstAttempt });
        });
        outputs.push(result.output);
      },
      [{ type: 'step_started', step: 1, name: 'classify the message' }],
      [{ id: answered, output: JSON.stringify(INTENT), latency_ms: 40, finished_at: new Date() }],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
    expect(calls).toBe(0);
    expect(outputs).toEqual([INTENT]);
    const events = (await listChainEventsAfter(database.db, chainId, null)).map((row) => row.payload);
    expect(events.at(-2)).toMatchObject({
      type: 'step_finished',
      step: 1,
      name: 'classify the message',
      logId: answered,
    });
  });

  it("calls a step again when a later call of it was cut off, though an earlier one answered: a step's result is its last call's", async () => {
    const bus = new ChainEventBus();
    const llm = offlineLlm(database);
    startRunner({ bus, llm });
    const calls: number[] = [];
    const chainId = await leftByADeadRun(
      async (run) => {
        await run.step('classify twice', async ({ firstAttempt }) => {
          calls.push(firstAttempt);
          await llm.ask('intent recognition', ORDER_MESSAGE);
          return llm.ask('intent recognition', ORDER_MESSAGE, { firstAttempt });
        });
      },
      [{ type: 'step_started', step: 1, name: 'classify twice' }],
      [
        { output: JSON.stringify(INTENT), created_at: new Date(Date.now() - 1_000), finished_at: new Date() },
        {
          status: 'error',
          error: JSON.stringify({ class: 'InterruptedError', code: 'interrupted', message: 'cut off' }),
          finished_at: new Date(),
        },
      ],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
    expect(calls).toEqual([2]);
  });

  it('replays by task name in a chain logged before steps were numbered on its log rows', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const answered = uuidv7();
    const chainId = await leftByADeadRun(
      async (run) => {
        await run.ask('intent recognition', ORDER_MESSAGE);
      },
      [{ type: 'step_started', step: 1, name: 'intent recognition' }],
      [{ id: answered, chain_step: null, output: JSON.stringify(INTENT), finished_at: new Date() }],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
    const rows = await database.db.selectFrom('inference_log').select('id').where('chain_id', '=', chainId).execute();
    expect(rows.map((row) => row.id)).toEqual([answered]);
  });

  it('calls a step cut off mid-call again as its next attempt, after the attempts that were cut off', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const chainId = await leftByADeadRun(
      async (run) => {
        await run.ask('intent recognition', ORDER_MESSAGE);
      },
      [{ type: 'step_started', step: 1, name: 'intent recognition' }],
      [
        {
          status: 'error',
          error: JSON.stringify({ class: 'InterruptedError', code: 'interrupted', message: 'cut off' }),
          finished_at: new Date(),
        },
      ],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
    const rows = await database.db
      .selectFrom('inference_log')
      .select(['attempt', 'status'])
      .where('chain_id', '=', chainId)
      .orderBy('attempt')
      .execute();
    expect(rows).toEqual([
      { attempt: 1, status: 'error' },
      { attempt: 2, status: 'ok' },
    ]);
  });

  it('runs a chain inside runInChain: an ask() deep in a step, given no chain id, joins the chain as that step', async () => {
    const bus = new ChainEventBus();
    const llm = offlineLlm(database);
    const name = uuidv7();
    works.set(name, async (run) => {
      await run.step('first step', async () => askResult(run.chainId, { answer: 1 }));
      await run.step('classify the message', async () => llm.ask('intent recognition', ORDER_MESSAGE));
    });
    const chainId = await startRunner({ bus, llm }).submit(testChain, { work: name });
    await chainFinished(bus, chainId);

    const rows = await database.db
      .selectFrom('inference_log')
      .select(['chain_id', 'chain_step', 'name', 'status'])
      .where('chain_id', '=', chainId)
      .execute();
    expect(rows).toEqual([{ chain_id: chainId, chain_step: 2, name: 'intent recognition', status: 'ok' }]);
  });

  it('hands back a chain it took and no longer runs (a run that failed on the way), and runs it again', async () => {
    const bus = new ChainEventBus();
    const instanceId = uuidv7();
    const chainId = await storedChain(async (run) => {
      await run.step('only step', async () => askResult(run.chainId, { answer: 1 }));
    });
    await queue(chainId);
    // Taken and claimed under this instance's id, as a run that then failed leaves it.
    await database.db.transaction().execute(async (transaction) => {
      expect(await jobs.fetch(transaction, 1)).toEqual([chainId]);
      await transaction.updateTable('chain').set({ instance_id: instanceId }).where('id', '=', chainId).execute();
    });
    const finished = chainFinished(bus, chainId);

    startRunner({ bus, instanceId });

    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
  });

  it('fails a resumed chain whose code now makes other steps than its journal holds', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const chainId = await leftByADeadRun(
      async (run) => {
        await run.step('renamed step', async () => askResult(run.chainId, { answer: 1 }));
      },
      [{ type: 'step_started', step: 1, name: 'original step' }],
      [],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({
      type: 'chain_finished',
      status: 'failed',
      error: { class: 'ChainChangedError' },
    });
  });

  it('fails a stored chain no registered definition knows, rather than leaving it queued', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const chainId = newChainId();
    await insertChain(database.db, {
      id: chainId,
      name: 'retired chain',
      status: 'running',
      input: JSON.stringify({}),
      instance_id: null,
    });
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({
      type: 'chain_finished',
      status: 'failed',
      error: { class: 'UnknownChain' },
    });
  });

  it('refuses a submission once draining began, storing nothing', async () => {
    const runner = startRunner();
    await runner.drain(1_000);
    await expect(submit(runner, async () => undefined)).rejects.toThrow(ShuttingDownError);
  });

  it('tries again to record the end of a chain when the database fails it, so the chain still ends with its chain_finished', async () => {
    const bus = new ChainEventBus();
    const failures = failingChainEnds(2);
    const runner = startRunner({ bus, db: database.db.withPlugin(failures) });
    const chainId = await submit(runner, async () => undefined);

    expect((await chainFinished(bus, chainId)).payload).toEqual({
      type: 'chain_finished',
      status: 'succeeded',
      error: null,
    });
    expect(failures.failed).toBe(2);
    expect(await findChain(database.db, chainId)).toMatchObject({ status: 'succeeded' });
  });
});

/**
 * Fails the first `failures` statements that set a chain's end (its finished_at), as a dropped connection would,
 * through Kysely's own plugin hook; every other statement runs as usual.
 */
function failingChainEnds(failures: number): KyselyPlugin & { failed: number } {
  return {
    failed: 0,
    transformQuery({ node }) {
      const setsEnd =
        node.kind === 'UpdateQueryNode' &&
        (node.updates ?? []).some(
          (update) => ColumnNode.is(update.column) && update.column.column.name === 'finished_at',
        );
      if (setsEnd && this.failed < failures) {
        this.failed++;
        throw new Error('connection terminated unexpectedly');
      }
      return node;
    },
    transformResult: async ({ result }) => result,
  };
}
