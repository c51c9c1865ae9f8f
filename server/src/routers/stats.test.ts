import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnalystData } from '../../test/analyst-seed.js';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import type { InferenceLog } from '../db/tables/inference-log.js';
import { createInnerContext } from '../trpc/context.js';
import { rollUpTaskStats } from '../db/queries/task-stats-rollup.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';

type Caller = ReturnType<typeof createCaller>;

// The analyst chains, placed around a fixed noon so every row's UTC day is known: ten days before it, then from six
// days before it to a minute before it.
const NOW = Date.parse('2026-11-20T12:00:00Z');
const WEEK = { from: '2026-11-14', to: '2026-11-20' };

let database: DatabaseHandle;
let caller: Caller;
let rows: InferenceLog[];

beforeAll(async () => {
  database = await openTestDatabase();
  const llm = offlineLlm(database);
  caller = createCaller(createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1 })));
  await seedAnalystData(database.db, NOW);
  rows = await database.db.selectFrom('inference_log').selectAll().execute();
});
afterAll(() => database.close());

/** percentile_cont as PostgreSQL defines it: linear interpolation between the sorted values around the fraction. */
function percentile(values: number[], fraction: number): number | null {
  const sorted = [...values].sort((left, right) => left - right);
  if (sorted.length === 0) return null;
  const position = fraction * (sorted.length - 1);
  const below = sorted[Math.floor(position)] ?? 0;
  const above = sorted[Math.ceil(position)] ?? 0;
  return below + (above - below) * (position - Math.floor(position));
}

/** The figures the overview should give, computed here from the log's rows. */
function expectedFrom(selected: InferenceLog[], days: string[]) {
  const dayOf = (row: InferenceLog) => row.created_at.toISOString().slice(0, 10);
  const inRange = selected.filter((row) => days.includes(dayOf(row)));
  const daily = (group: InferenceLog[]) => ({
    calls: days.map((day) => group.filter((row) => dayOf(row) === day && row.attempt === 1).length),
    errors: days.map((day) => group.filter((row) => dayOf(row) === day && row.status === 'error').length),
    costUsd: days.map((day) =>
      group.filter((row) => dayOf(row) === day).reduce((total, row) => total + Number(row.cost_usd ?? 0), 0),
    ),
    inputTokens: days.map((day) =>
      group.filter((row) => dayOf(row) === day).reduce((total, row) => total + (row.input_tokens ?? 0), 0),
    ),
  });
  const latency = (group: InferenceLog[]) => {
    const values = group.flatMap((row) => (row.latency_ms === null ? [] : [row.latency_ms]));
    return { attempts: values.length, p50Ms: percentile(values, 0.5), p95Ms: percentile(values, 0.95) };
  };
  const names = [...new Set(inRange.map((row) => row.name))].sort();
  const models = [...new Set(inRange.map((row) => `${row.provider}:${row.model}`))].sort();
  const ofModel = (key: string) => inRange.filter((row) => `${row.provider}:${row.model}` === key);
  return {
    tasks: names.map((name) => ({ name, ...daily(inRange.filter((row) => row.name === name)) })),
    models: models.map((key) => ({ key, ...daily(ofModel(key)) })),
    latencyTasks: names.map((name) => ({ name, ...latency(inRange.filter((row) => row.name === name)) })),
    latencyModels: models.map((key) => ({ key, ...latency(ofModel(key)) })),
    attempts: inRange.length,
  };
}

/** Percentiles come from a histogram whose buckets are 4.4 % wide: within 2.2 % of the exact ones. */
function expectLatencyClose<T extends { attempts: number; p50Ms: number | null; p95Ms: number | null }>(
  actual: T[],
  expected: T[],
): void {
  const within = (estimate: number | null, exact: number | null) =>
    exact === null ? estimate === null : estimate !== null && Math.abs(estimate - exact) <= exact * 0.022;
  expect(actual.map(({ p50Ms, p95Ms, ...rest }) => rest)).toEqual(expected.map(({ p50Ms, p95Ms, ...rest }) => rest));
  actual.forEach((latency, index) => {
    expect(
      within(latency.p50Ms, expected[index]?.p50Ms ?? null),
      `p50 ${latency.p50Ms} of ${JSON.stringify(expected[index])}`,
    ).toBe(true);
    expect(
      within(latency.p95Ms, expected[index]?.p95Ms ?? null),
      `p95 ${latency.p95Ms} of ${JSON.stringify(expected[index])}`,
    ).toBe(true);
  });
}

/** Costs are sums of numeric(14, 8) values read as doubles: equal to the cent's millionth. */
const rounded = (values: number[]) => values.map((value) => Math.round(value * 1e8) / 1e8);

describe('stats.overview', () => {
  it('counts calls and errors per UTC day and task, every day of the range listed, the rows outside it left out', async () => {
    const overview = await caller.stats.overview(WEEK);

    expect(overview.days).toEqual([
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
    ]);
    expect(overview.tasks.map((task) => task.name)).toEqual([
      'entity extraction',
      'intent recognition',
      'reply drafting',
      'sentiment',
    ]);
    const intent = overview.tasks.find((task) => task.name === 'intent recognition');
    // One call six days before noon, one three and two days before (the second refused), two yesterday, three today.
    expect(intent?.calls).toEqual([1, 0, 0, 1, 1, 2, 3]);
    expect(intent?.errors).toEqual([0, 0, 0, 0, 1, 0, 0]);
    // Ten days before, reply drafting was retried: not in this week.
    expect(overview.tasks.find((task) => task.name === 'reply drafting')?.attempts).toEqual([0, 0, 0, 0, 0, 2, 1]);
  });

  it('gives the sums and percentiles the log rows give, by task and by model', async () => {
    const overview = await caller.stats.overview(WEEK);
    const expected = expectedFrom(rows, overview.days);

    expect(
      overview.tasks.map(({ name, calls, errors, costUsd, inputTokens }) => ({
        name,
        calls,
        errors,
        costUsd: rounded(costUsd),
        inputTokens,
      })),
    ).toEqual(expected.tasks.map((task) => ({ ...task, costUsd: rounded(task.costUsd) })));
    expect(
      overview.models.map(({ provider, model, calls, errors, costUsd, inputTokens }) => ({
        key: `${provider}:${model}`,
        calls,
        errors,
        costUsd: rounded(costUsd),
        inputTokens,
      })),
    ).toEqual(expected.models.map((model) => ({ ...model, costUsd: rounded(model.costUsd) })));
    expectLatencyClose(overview.latency.tasks, expected.latencyTasks);
    expectLatencyClose(
      overview.latency.models.map(({ provider, model, ...latency }) => ({ key: `${provider}:${model}`, ...latency })),
      expected.latencyModels,
    );
    expect(overview.totals.attempts).toBe(expected.attempts);
    // Reply drafting this week: 2,400 and 2,600 ms yesterday, 2,900 ms today.
    expectLatencyClose(
      overview.latency.tasks.filter((task) => task.name === 'reply drafting'),
      [{ name: 'reply drafting', attempts: 3, p50Ms: 2_600, p95Ms: 2_870 }],
    );
  });

  it('gives the same overview once the closed days are rolled up into the daily totals', async () => {
    const before = await caller.stats.overview(WEEK);
    const rolled = await rollUpTaskStats(database.db);
    expect(rolled.days).toBeGreaterThan(0);
    expect(await caller.stats.overview(WEEK)).toEqual(before);
  });

  it('narrows every figure to one task name and one model', async () => {
    const overview = await caller.stats.overview({ ...WEEK, name: 'sentiment', model: 'gpt-4.1-mini' });
    const expected = expectedFrom(
      rows.filter((row) => row.name === 'sentiment' && row.model === 'gpt-4.1-mini'),
      overview.days,
    );

    expect(overview.tasks.map((task) => task.name)).toEqual(['sentiment']);
    expect(overview.models.map((model) => `${model.provider}:${model.model}`)).toEqual(['openai:gpt-4.1-mini']);
    expect(overview.tasks[0]?.errors).toEqual(expected.tasks[0]?.errors);
    expectLatencyClose(
      overview.latency.models.map(({ provider, model, ...latency }) => ({ key: `${provider}:${model}`, ...latency })),
      expected.latencyModels,
    );
    // The truncated attempt yesterday and its retry; six days before, the provider error, and a truncated attempt and
    // its retry.
    expect(overview.totals).toMatchObject({ calls: 3, attempts: 5, errors: 3 });
  });

  it('covers the 30 UTC days up to today when no range is given, and answers empty days and filters with zeros', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const overview = await caller.stats.overview();
    expect(overview.days).toHaveLength(30);
    expect(overview.days.at(-1)).toBe(today);

    const nothing = await caller.stats.overview({ ...WEEK, name: 'no such task' });
    expect(nothing).toMatchObject({
      tasks: [],
      models: [],
      latency: { tasks: [], models: [] },
      totals: { calls: 0, attempts: 0, costUsd: 0 },
    });
    expect(nothing.days).toHaveLength(7);
  });

  it.each([
    ['a range that ends before it starts', { from: '2026-11-20', to: '2026-11-14' }],
    ['more than 366 days', { from: '2025-01-01', to: '2026-01-02' }],
    ['a day that does not exist', { from: '2026-02-30', to: '2026-03-01' }],
    ['year 0', { from: '0000-12-31', to: '0001-01-01' }],
    ['a time where a day is expected', { from: '2026-11-14T00:00:00Z', to: '2026-11-20' }],
    ['an empty task name', { ...WEEK, name: '' }],
    ['a NUL in the model', { ...WEEK, model: 'gpt\u0000' }],
    ['a task name over 200 characters', { ...WEEK, name: 'x'.repeat(201) }],
  ])('refuses %s with BAD_REQUEST', async (_what, input) => {
    await expect(caller.stats.overview(input)).rejects.toSatisfy(
      (error) => error instanceof TRPCError && error.code === 'BAD_REQUEST',
    );
  });

  it('takes the first days of the calendar without reaching year 0', async () => {
    const overview = await caller.stats.overview({ to: '0001-01-03' });
    expect(overview.days).toEqual(['0001-01-01', '0001-01-02', '0001-01-03']);
    const last = await caller.stats.overview({ from: '9999-12-30', to: '9999-12-31' });
    expect(last.days).toEqual(['9999-12-30', '9999-12-31']);
  });
});
