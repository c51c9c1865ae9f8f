import type { Db } from '../db/client.js';
import {
  type DailyStatsRow,
  type LatencyHistogramRow,
  type StatsRange,
  readDailyStatsAndHistograms,
  readLatencyBucketMiddles,
} from '../db/queries/stats.js';
import { type Histogram, addToHistogram, histogramPercentile } from './latency-histogram.js';

const DAY_MS = 86_400_000;

/** Per-day figures of one task or one model; every array has one entry per day of `StatsOverview.days`. */
export interface DailySeries {
  calls: number[];
  attempts: number[];
  errors: number[];
  costUsd: number[];
  inputTokens: number[];
  outputTokens: number[];
}

export interface TaskSeries extends DailySeries {
  name: string;
}

export interface ModelSeries extends DailySeries {
  provider: string;
  model: string;
}

export interface Latency {
  /** Attempts with a latency in the range. */
  attempts: number;
  /**
   * Estimated from the range's latency histogram (buckets 4.4 % wide): within 2.2 % of percentile_cont over the
   * attempts' latencies.
   */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface StatsOverview {
  /** Every UTC day of the range, `YYYY-MM-DD`, days without calls included. */
  days: string[];
  /** One series per task name, by name. */
  tasks: TaskSeries[];
  /** One series per provider and model, by provider then model. */
  models: ModelSeries[];
  latency: {
    tasks: (Latency & { name: string })[];
    models: (Latency & { provider: string; model: string })[];
  };
  totals: {
    calls: number;
    attempts: number;
    errors: number;
    costUsd: number;
    inputTokens: number;
    outputTokens: number;
  };
}

/** The UTC days from `from` to `to`, both `YYYY-MM-DD` and included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= Date.parse(`${to}T00:00:00Z`); time += DAY_MS) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

function emptySeries(length: number): DailySeries {
  const zeros = () => new Array<number>(length).fill(0);
  return {
    calls: zeros(),
    attempts: zeros(),
    errors: zeros(),
    costUsd: zeros(),
    inputTokens: zeros(),
    outputTokens: zeros(),
  };
}

function addRow(series: DailySeries, index: number, row: DailyStatsRow): void {
  series.calls[index] = row.calls;
  series.attempts[index] = row.attempts;
  series.errors[index] = row.errors;
  series.costUsd[index] = row.cost_usd;
  series.inputTokens[index] = row.input_tokens;
  series.outputTokens[index] = row.output_tokens;
}

const byText = (left: string, right: string) => (left < right ? -1 : left > right ? 1 : 0);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** p50 and p95 of each task's and each model's histogram over the range, from the histograms of its days. */
async function latencyOverRange(db: Db, histograms: readonly LatencyHistogramRow[]): Promise<StatsOverview['latency']> {
  const tasks = new Map<string, { name: string; histogram: Histogram }>();
  const models = new Map<string, { provider: string; model: string; histogram: Histogram }>();
  for (const row of histograms) {
    const task = tasks.get(row.name) ?? { name: row.name, histogram: new Map() };
    tasks.set(row.name, task);
    addToHistogram(task.histogram, row.latency_buckets, row.latency_attempts);
    const key = `${row.provider}:${row.model}`;
    const model = models.get(key) ?? { provider: row.provider, model: row.model, histogram: new Map() };
    models.set(key, model);
    addToHistogram(model.histogram, row.latency_buckets, row.latency_attempts);
  }
  const middles = await readLatencyBucketMiddles(db, [
    ...new Set([...tasks.values()].flatMap((task) => [...task.histogram.keys()])),
  ]);
  const middleOf = (bucket: number) => {
    const middle = middles.get(bucket);
    if (middle === undefined) throw new Error(`latency_bucket_middle_ms gave nothing for bucket ${bucket}`);
    return middle;
  };
  const figures = (histogram: Histogram): Latency => {
    const buckets = [...histogram]
      .sort(([left], [right]) => left - right)
      .map(([bucket, attempts]) => ({ middleMs: middleOf(bucket), attempts }));
    return {
      attempts: buckets.reduce((total, bucket) => total + bucket.attempts, 0),
      p50Ms: histogramPercentile(buckets, 0.5),
      p95Ms: histogramPercentile(buckets, 0.95),
    };
  };
  return {
    tasks: [...tasks.values()]
      .sort((left, right) => byText(left.name, right.name))
      .map(({ name, histogram }) => ({ name, ...figures(histogram) })),
    models: [...models.values()]
      .sort((left, right) => byText(left.provider, right.provider) || byText(left.model, right.model))
      .map(({ provider, model, histogram }) => ({ provider, model, ...figures(histogram) })),
  };
}

/**
 * Calls, attempts, errors, cost and tokens per day by task and by model, and latency percentiles over the range, for
 * the Stats page: sums aggregated by the database, percentiles from the days' latency histograms added up here (both
 * from task_stats_histograms, the task_stats view with histograms).
 */
export async function getStatsOverview(db: Db, range: StatsRange): Promise<StatsOverview> {
  const { daily, histograms } = await readDailyStatsAndHistograms(db, range);
  const latency = await latencyOverRange(db, histograms);
  const days = daysBetween(range.from, range.to);
  const dayIndex = new Map(days.map((day, index) => [day, index]));
  const tasks = new Map<string, TaskSeries>();
  const models = new Map<string, ModelSeries>();
  for (const row of daily) {
    const index = dayIndex.get(row.day);
    if (index === undefined) continue;
    if (row.name !== null) {
      const series = tasks.get(row.name) ?? { name: row.name, ...emptySeries(days.length) };
      tasks.set(row.name, series);
      addRow(series, index, row);
    } else if (row.provider !== null && row.model !== null) {
      const key = `${row.provider}:${row.model}`;
      const series = models.get(key) ?? { provider: row.provider, model: row.model, ...emptySeries(days.length) };
      models.set(key, series);
      addRow(series, index, row);
    }
  }
  const taskList = [...tasks.values()].sort((left, right) => byText(left.name, right.name));
  return {
    days,
    tasks: taskList,
    models: [...models.values()].sort(
      (left, right) => byText(left.provider, right.provider) || byText(left.model, right.model),
    ),
    latency,
    totals: {
      calls: sum(taskList.map((series) => sum(series.calls))),
      attempts: sum(taskList.map((series) => sum(series.attempts))),
      errors: sum(taskList.map((series) => sum(series.errors))),
      costUsd: sum(taskList.map((series) => sum(series.costUsd))),
      inputTokens: sum(taskList.map((series) => sum(series.inputTokens))),
      outputTokens: sum(taskList.map((series) => sum(series.outputTokens))),
    },
  };
}
