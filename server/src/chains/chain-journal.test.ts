import { v7 as uuidv7 } from 'uuid';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  INTENT,
  ORDER_MESSAGE,
  askResult,
  chainFinished,
  deferred,
  useChainRunnerHarness,
} from '../../test/chain-runner-harness.js';
import { within } from '../../test/llm-harness.js';
import { offlineLlm } from '../../test/offline-llm.js';
import { listChainEventsAfter } from '../db/queries/chains.js';
import { AbortedError, RefusalError } from '../llm/errors/index.js';
import type { ChainRun } from './chain-definition.js';
import { ReplayedStepError } from './chain-errors.js';
import { ChainEventBus } from './event-bus.js';

class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Runs step `name`, which throws `error`; returns what the step threw at the chain's code. */
async function caughtFrom(run: ChainRun, name: string, error: Error, calls: string[]): Promise<Error> {
  try {
    await run.step(name, async () => {
      calls.push(name);
      throw error;
    });
  } catch (thrown) {
    if (thrown instanceof Error) return thrown;
  }
  throw new Error(`step "${name}" did not throw an Error`);
}

describe("a resumed chain's journal", () => {
  const harness = useChainRunnerHarness();
  const { startRunner, submit, leftByADeadRun, queue } = harness;

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
    const rows = await harness.database.db
      .selectFrom('inference_log')
      .select('id')
      .where('chain_id', '=', chainId)
      .execute();
    expect(rows.map((row) => row.id)).toEqual([answered]);
    const events = (await listChainEventsAfter(harness.database.db, chainId, null)).map((row) => row.payload);
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
    const llm = offlineLlm(harness.database);
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
    const events = (await listChainEventsAfter(harness.database.db, chainId, null)).map((row) => row.payload);
    expect(events.at(-2)).toMatchObject({
      type: 'step_finished',
      step: 1,
      name: 'classify the message',
      logId: answered,
    });
  });

  it("calls a step again when a later call of it was cut off, though an earlier one answered: a step's result is its last call's", async () => {
    const bus = new ChainEventBus();
    const llm = offlineLlm(harness.database);
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
    const rows = await harness.database.db
      .selectFrom('inference_log')
      .select('id')
      .where('chain_id', '=', chainId)
      .execute();
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
          // Written by a machine whose clock ran a minute ahead: the resumed attempt starts "before" it.
          created_at: new Date(Date.now() + 60_000),
          finished_at: new Date(Date.now() + 60_000),
        },
      ],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
    const rows = await harness.database.db
      .selectFrom('inference_log')
      .select(['id', 'attempt', 'status', sql<string>`coalesce(call_id, id)`.as('call')])
      .where('chain_id', '=', chainId)
      .orderBy('attempt')
      .execute();
    expect(rows.map(({ attempt, status }) => ({ attempt, status }))).toEqual([
      { attempt: 1, status: 'error' },
      { attempt: 2, status: 'ok' },
    ]);
    // One call, as the journal knew it (the database, going by time, would have found no attempt before it).
    expect(rows.map((row) => row.call)).toEqual([rows[0]?.id, rows[0]?.id]);
  });

  it('runs a chain inside runInChain: an ask() deep in a step, given no chain id, joins the chain as that step', async () => {
    const bus = new ChainEventBus();
    const llm = offlineLlm(harness.database);
    const chainId = await submit(startRunner({ bus, llm }), async (run) => {
      await run.step('first step', async () => askResult(run.chainId, { answer: 1 }));
      await run.step('classify the message', async () => llm.ask('intent recognition', ORDER_MESSAGE));
    });
    await chainFinished(bus, chainId);

    const rows = await harness.database.db
      .selectFrom('inference_log')
      .select(['chain_id', 'chain_step', 'name', 'status'])
      .where('chain_id', '=', chainId)
      .execute();
    expect(rows).toEqual([{ chain_id: chainId, chain_step: 2, name: 'intent recognition', status: 'ok' }]);
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

  it("throws a step's failure again on resume when the chain's code caught it and went on, rather than calling the step again", async () => {
    const first = startRunner();
    const lastStepStarted = deferred();
    const cutOff = deferred();
    const calls: string[] = [];
    const runs: Error[][] = [];
    const refusalLogId = uuidv7();
    const chainId = await submit(first, async (run) => {
      const caught = [
        await caughtFrom(run, 'refused step', new RefusalError('not this one', { logId: refusalLogId }), calls),
        await caughtFrom(run, 'typed step', new TypeError('not a number'), calls),
        await caughtFrom(run, 'policy step', new PolicyError('against policy'), calls),
      ];
      runs.push(caught);
      await run.step('last step', async () => {
        calls.push('last step');
        if (calls.filter((call) => call === 'last step').length === 1) {
          lastStepStarted.resolve();
          await cutOff.promise;
        }
        return askResult(run.chainId, { answer: 1 });
      });
    });
    await within(lastStepStarted.promise, 10_000, 'the last step to start');
    expect(await first.drain(50)).toBe(false);
    cutOff.reject(new AbortedError('aborted by the shutdown'));
    await expect.poll(async () => (await first.counts()).running).toBe(0);

    const bus = new ChainEventBus();
    const finished = chainFinished(bus, chainId);
    startRunner({ bus });
    expect((await finished).payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });

    expect(calls).toEqual(['refused step', 'typed step', 'policy step', 'last step', 'last step']);
    const [before, after] = runs;
    const nameAndMessage = (error: Error) => [error.name, error.message];
    expect(after?.map(nameAndMessage)).toEqual(before?.map(nameAndMessage));
    const [refusal, typed, policy] = after ?? [];
    expect(RefusalError.isInstance(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: 'refusal', logId: refusalLogId });
    expect(typed).toBeInstanceOf(TypeError);
    expect(policy).toBeInstanceOf(ReplayedStepError);
    expect(policy?.name).toBe('PolicyError');
    // What subscribers were told is unchanged: our LLM errors as they are, anything else as internal.
    const events = await listChainEventsAfter(harness.database.db, chainId, null);
    expect(events.filter((row) => row.type === 'step_failed').map((row) => row.payload)).toEqual([
      expect.objectContaining({
        name: 'refused step',
        error: { class: 'RefusalError', message: 'the model refused: not this one' },
        logId: refusalLogId,
      }),
      expect.objectContaining({
        name: 'typed step',
        error: expect.objectContaining({ class: 'InternalError' }),
        logId: null,
      }),
      expect.objectContaining({
        name: 'policy step',
        error: expect.objectContaining({ class: 'InternalError' }),
        logId: null,
      }),
    ]);
  });

  it('throws a failure stored before what steps threw was kept as subscribers were told it, rather than calling the step again', async () => {
    const bus = new ChainEventBus();
    startRunner({ bus });
    const calls: string[] = [];
    const caught: Error[] = [];
    const chainId = await leftByADeadRun(
      async (run) => {
        caught.push(await caughtFrom(run, 'old step', new Error('not thrown: the journal has it'), calls));
      },
      [
        { type: 'step_started', step: 1, name: 'old step' },
        {
          type: 'step_failed',
          step: 1,
          name: 'old step',
          error: { class: 'RefusalError', message: 'the model refused: no' },
          logId: null,
        },
      ],
      [],
    );
    const finished = chainFinished(bus, chainId);
    await queue(chainId);

    expect((await finished).payload).toMatchObject({ type: 'chain_finished', status: 'succeeded' });
    expect(calls).toEqual([]);
    expect(caught.map((error) => [error.name, error.message])).toEqual([['RefusalError', 'the model refused: no']]);
  });
});
