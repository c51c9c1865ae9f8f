import type { ChainEvent } from '@chainlog/shared';
import { ColumnNode, type KyselyPlugin, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { chainFinished, deferred, askResult, useChainRunnerHarness } from '../../test/chain-runner-harness.js';
import { within } from '../../test/llm-harness.js';
import { findChain, insertChain, listChainEventsAfter } from '../db/queries/chains.js';
import { newChainId } from '../llm/chain-context.js';
import { AbortedError } from '../llm/errors/index.js';
import { ChainQueueFullError } from './chain-queue-full-error.js';
import { ShuttingDownError } from './chain-runner.js';
import { ChainEventBus } from './event-bus.js';

describe('the chain runner', () => {
  const harness = useChainRunnerHarness();
  const { startRunner, submit, storedChain, queue } = harness;

  it('stores every event before a subscriber hears of it, and runs the chain to its end', async () => {
    const bus = new ChainEventBus();
    const runner = startRunner({ bus });
    const heard: ChainEvent[] = [];
    const readBacks: Promise<unknown>[] = [];
    const unsubscribe = bus.subscribe((event) => {
      heard.push(event);
      // Issued from inside the listener, before the runner records anything else.
      readBacks.push(
        harness.database.db.selectFrom('chain_event').selectAll().where('id', '=', event.id).executeTakeFirst(),
      );
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
    const stored = await listChainEventsAfter(harness.database.db, chainId, null);
    // int8 reads back as a string on pg, a number on PGlite.
    expect(stored.map((row) => String(row.id))).toEqual(heard.map((event) => event.id));
    expect(await findChain(harness.database.db, chainId)).toMatchObject({
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
    // Listened for before the next submission, which the failing chain can finish during (CI saw it once).
    const failingFinished = chainFinished(bus, failing);
    const next = await submit(runner, async () => undefined);
    const [failed, succeeded] = await Promise.all([failingFinished, chainFinished(bus, next)]);
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
    expect(await harness.jobs.queued()).toBe(2);

    const before = await harness.database.db
      .selectFrom('chain')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    await expect(submit(runner, work)).rejects.toThrow(new ChainQueueFullError(2));
    const after = await harness.database.db
      .selectFrom('chain')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(after.count)).toBe(Number(before.count));

    const finished = Promise.all(chains.map((chainId) => chainFinished(bus, chainId)));
    release.resolve();
    expect((await finished).map((event) => event.payload.type)).toEqual(chains.map(() => 'chain_finished'));
    expect(mostAtOnce).toBe(2);
    expect(await harness.jobs.queued()).toBe(0);
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
    expect(await findChain(harness.database.db, chainId)).toMatchObject({ status: 'running' });
    expect(await harness.jobs.queued()).toBe(1);

    const bus = new ChainEventBus();
    const finished = chainFinished(bus, chainId);
    startRunner({ bus });
    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });

    expect(calls).toEqual(['first', 'second', 'second']);
    expect(resumeAttempts).toEqual([1, 1]);
    const events = (await listChainEventsAfter(harness.database.db, chainId, null)).map((row) => row.payload);
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
    await harness.database.db.updateTable('chain').set({ instance_id: uuidv7() }).where('id', '=', chainId).execute();
    answer.resolve();
    await expect.poll(async () => (await runner.counts()).running).toBe(0);

    expect(heard.filter((event) => event.chainId === chainId).map((event) => event.payload.type)).toEqual([
      'chain_started',
      'step_started',
    ]);
    expect(await findChain(harness.database.db, chainId)).toMatchObject({ status: 'running', finished_at: null });
    const job = await sql<{
      state: string;
    }>`select state from ${sql.id(harness.jobs.schema, 'job')} where id = ${chainId}`.execute(harness.database.db);
    expect(job.rows).toEqual([{ state: 'active' }]);
  });

  it('hands back a chain it took and no longer runs (a run that failed on the way), and runs it again', async () => {
    const bus = new ChainEventBus();
    const instanceId = uuidv7();
    const chainId = await storedChain(async (run) => {
      await run.step('only step', async () => askResult(run.chainId, { answer: 1 }));
    });
    await queue(chainId);
    // Taken and claimed under this instance's id, as a run that then failed leaves it.
    await harness.database.db.transaction().execute(async (transaction) => {
      expect(await harness.jobs.fetch(transaction, 1)).toEqual([chainId]);
      await transaction.updateTable('chain').set({ instance_id: instanceId }).where('id', '=', chainId).execute();
    });
    const finished = chainFinished(bus, chainId);

    startRunner({ bus, instanceId });

    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
  });

  it('fails a chain of a kind no instance runs once its grace after submission has passed, rather than leaving it queued', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus, unknownChainGraceMs: 0 });
    const chainId = newChainId();
    await insertChain(harness.database.db, {
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
    const runner = startRunner({ bus, db: harness.database.db.withPlugin(failures) });
    const chainId = await submit(runner, async () => undefined);

    expect((await chainFinished(bus, chainId)).payload).toEqual({
      type: 'chain_finished',
      status: 'succeeded',
      error: null,
    });
    expect(failures.failed).toBe(2);
    expect(await findChain(harness.database.db, chainId)).toMatchObject({ status: 'succeeded' });
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
