import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuBetween, readProcessCpuMs, snapshotCpu, statCpuMs } from './process-cpu.js';

describe('process CPU from /proc', () => {
  it('reads utime + stime from a stat line whose command name holds spaces and parentheses', () => {
    // Fields after the name: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime.
    const line = '4242 (postgres: bench (x) y) S 1 4242 4242 0 -1 4194304 3902 11970 0 0 37 5 2 3 20 0 1 0 3558';
    expect(statCpuMs(line)).toBe(420);
    expect(statCpuMs('not a stat line')).toBeUndefined();
  });

  it('sees this process use CPU, and nothing of a process that has exited', async () => {
    const before = readProcessCpuMs(process.pid);
    expect(before).toBeGreaterThan(0);
    let spin = 0;
    for (let index = 0; index < 20_000_000; index++) spin += index % 7;
    expect(spin).toBeGreaterThan(0);
    expect(readProcessCpuMs(process.pid)).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);

    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid ?? 0;
    await once(child, 'exit');
    expect(readProcessCpuMs(pid)).toBeUndefined();
    expect(snapshotCpu([pid]).size).toBe(0);
  });

  it('counts the whole CPU of a process that appears between two snapshots, and the difference of the others', () => {
    const before = new Map([
      [1, 10],
      [2, 50],
    ]);
    const after = new Map([
      [1, 15],
      [2, 50],
      [3, 7],
    ]);
    expect(cpuBetween(before, after)).toBe(12);
  });
});
