/** Runs one way of calling under a fixed concurrency and sums up what it cost: latency, throughput, CPU. */
import { PerformanceObserver } from 'node:perf_hooks';
import type { CpuSnapshot } from './process-cpu.js';
import { cpuBetween } from './process-cpu.js';

// Garbage collection pauses of this process so far, in milliseconds (the main thread's share of the GC's work).
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

export interface Sample {
  calls: number;
  wallMs: number;
  latencies: number[];
  /** Time the event loop of this process spent running code (not waiting for I/O). */
  loopBusyMs: number;
  /** CPU of this process, every thread (user + system). */
  cpuMs: number;
  /** Garbage collection pauses of the main thread. */
  gcMs: number;
  /** CPU of the PostgreSQL backends of the bench's connections; undefined when they cannot be read. */
  backendCpuMs: number | undefined;
}

/**
 * `calls` calls of `call`, `concurrency` at a time. `backends`, when given, snapshots the database backends'
 * CPU; it is read outside the timed window.
 */
export async function runLoad(
  calls: number,
  concurrency: number,
  call: () => Promise<unknown>,
  backends?: () => Promise<CpuSnapshot>,
): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const backendsBefore = await backends?.();
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  const gcBefore = gcMs;
  const started = performance.now();
  const worker = async () => {
    while (next < calls) {
      next++;
      const callStarted = performance.now();
      await call();
      latencies.push(performance.now() - callStarted);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // GC entries arrive after the pause, in a later turn: the next window may get the last few of this one.
  const gcPausedMs = gcMs - gcBefore;
  const loopBusyMs = performance.eventLoopUtilization(loopBefore).active;
  const backendsAfter = await backends?.();
  const backendCpuMs = backendsBefore && backendsAfter ? cpuBetween(backendsBefore, backendsAfter) : undefined;
  return {
    calls,
    wallMs,
    latencies,
    loopBusyMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs: gcPausedMs,
    backendCpuMs,
  };
}

export interface Stats {
  /** Calls per second. */
  throughput: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
  /** Share of the wall time this process's event loop was running code, 0 to 1. */
  loopBusy: number;
  /** CPU milliseconds per call: this process, and the PostgreSQL backends (undefined when not read). */
  cpuMsPerCall: number;
  backendCpuMsPerCall: number | undefined;
  /** Milliseconds per call of garbage-collection pauses of the main thread (wall time: inflated on a busy machine). */
  gcMsPerCall: number;
}

export function summarize(samples: Sample[]): Stats {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const sum = (pick: (sample: Sample) => number) => samples.reduce((total, sample) => total + pick(sample), 0);
  const calls = sum((sample) => sample.calls);
  const wallMs = sum((sample) => sample.wallMs);
  const backendRead = samples.every((sample) => sample.backendCpuMs !== undefined);
  return {
    throughput: (calls / wallMs) * 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    loopBusy: sum((sample) => sample.loopBusyMs) / wallMs,
    cpuMsPerCall: sum((sample) => sample.cpuMs) / calls,
    backendCpuMsPerCall: backendRead ? sum((sample) => sample.backendCpuMs ?? 0) / calls : undefined,
    gcMsPerCall: sum((sample) => sample.gcMs) / calls,
  };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}
