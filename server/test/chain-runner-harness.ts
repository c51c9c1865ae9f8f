import type { ChainEvent, ChainEventPayload } from '@chainlog/shared';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { z } from 'zod';
import { type ChainRun, defineChain, registered } from '../src/chains/chain-definition.js';
import { ChainRunner, type ChainRunnerOptions } from '../src/chains/chain-runner.js';
import { ChainEventBus } from '../src/chains/event-bus.js';
import { ChainJobs } from '../src/chains/jobs/chain-jobs.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { insertChain } from '../src/db/queries/chains.js';
import type { NewInferenceLog } from '../src/db/tables/inference-log.js';
import type { AskResult } from '../src/llm/ask.js';
import { newChainId } from '../src/llm/chain-context.js';
import { within } from './llm-harness.js';
import { offlineLlm } from './offline-llm.js';
import { openTestDatabase } from './test-database.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** A step result as ask() would return it, without calling a model. */
export function askResult<Output>(chainId: string, output: Output): AskResult<Output> {
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
export function chainFinished(bus: ChainEventBus, chainId: string, timeoutMs = 10_000): Promise<ChainEvent> {
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
export const testChain = defineChain({
  name: 'test chain',
  input: z.object({ work: z.string() }),
  async run(run, { work }) {
    const body = works.get(work);
    if (!body) throw new Error(`no work named ${work}`);
    await body(run);
  },
});

/** A support message the offline provider answers for the demo's tasks, and the intent it could give. */
export const ORDER_MESSAGE = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Order A-1042 has not arrived.',
};
export const INTENT = {
  intent: 'order_status',
  confidence: 0.9,
  urgency: 'normal',
  rationale: 'asks where the order is',
};

/** One database and chain queue for a test file, and runners of `testChain` on it, drained after each test. */
export interface ChainRunnerHarness {
  readonly database: DatabaseHandle;
  readonly jobs: ChainJobs;
  /** A started runner of `testChain` (one chain at a time, polling every 50 ms) with `options` over those. */
  startRunner(options?: Partial<ChainRunnerOptions>): ChainRunner;
  submit(runner: ChainRunner, work: (run: ChainRun) => Promise<void>): Promise<string>;
  /** A running chain of `testChain` doing `work`, stored without a job, as a submission stores it. */
  storedChain(work: (run: ChainRun) => Promise<void>): Promise<string>;
  /** Queues the stored chain's job, for a runner to take. */
  queue(chainId: string): Promise<void>;
  /**
   * A chain as a run that died left it: stored, running, with these events (after chain_started) and log rows (an
   * `ok` attempt of step 1 unless a row says otherwise), without its job.
   */
  leftByADeadRun(
    work: (run: ChainRun) => Promise<void>,
    events: ChainEventPayload[],
    rows: Partial<NewInferenceLog>[],
  ): Promise<string>;
}

/** Call inside a `describe`: it opens the database before the tests and closes it after them. */
export function useChainRunnerHarness(): ChainRunnerHarness {
  let database: DatabaseHandle | undefined;
  let jobs: ChainJobs | undefined;
  const runners: ChainRunner[] = [];
  beforeAll(async () => {
    database = await openTestDatabase();
    jobs = await ChainJobs.start(database, { supervise: false });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.drain(5_000)));
  });
  afterAll(() => database?.close());

  const harness: ChainRunnerHarness = {
    get database() {
      if (!database) throw new Error('the harness opens its database in beforeAll');
      return database;
    },
    get jobs() {
      if (!jobs) throw new Error('the harness starts its queue in beforeAll');
      return jobs;
    },
    startRunner(options = {}) {
      const runner = new ChainRunner({
        db: harness.database.db,
        bus: new ChainEventBus(),
        jobs: harness.jobs,
        llm: offlineLlm(harness.database),
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
    },
    submit(runner, work) {
      const name = uuidv7();
      works.set(name, work);
      return runner.submit(testChain, { work: name });
    },
    async storedChain(work) {
      const name = uuidv7();
      works.set(name, work);
      const chainId = newChainId();
      await insertChain(harness.database.db, {
        id: chainId,
        name: testChain.name,
        status: 'running',
        input: JSON.stringify({ work: name }),
        instance_id: null,
      });
      return chainId;
    },
    queue(chainId) {
      return harness.database.db.transaction().execute((transaction) => harness.jobs.send(transaction, chainId));
    },
    async leftByADeadRun(work, events, rows) {
      const { db } = harness.database;
      const chainId = await harness.storedChain(work);
      for (const payload of [{ type: 'chain_started' } as const, ...events]) {
        await db
          .insertInto('chain_event')
          .values({ chain_id: chainId, type: payload.type, payload: JSON.stringify(payload) })
          .execute();
      }
      for (const row of rows) {
        await db
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
    },
  };
  return harness;
}
