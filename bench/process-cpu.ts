/**
 * CPU time of other processes on this machine (the PostgreSQL backends that serve the bench's connections), read
 * from /proc. Linux only; elsewhere every reading is undefined and the bench prints no backend CPU.
 */
import { readFileSync } from 'node:fs';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat. 100 on every Linux architecture Node runs on.
const TICKS_PER_SECOND = 100;

/**
 * Milliseconds of CPU (user + system) the process has used so far, or undefined when it is gone or unreadable.
 * /proc/<pid>/schedstat counts nanoseconds on the CPU; stat's utime + stime count 10 ms ticks, too coarse for a
 * backend that serves 60 calls of half a millisecond each, so schedstat is read first and stat is the fallback.
 */
export function readProcessCpuMs(pid: number): number | undefined {
  const scheduled = readFirstLine(`/proc/${pid}/schedstat`)?.split(' ')[0];
  if (scheduled !== undefined && /^\d+$/.test(scheduled)) return Number(scheduled) / 1e6;
  const stat = readFirstLine(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : statCpuMs(stat);
}

/** utime + stime of a /proc/<pid>/stat line, in milliseconds; undefined when the line is not one. */
export function statCpuMs(line: string): number | undefined {
  const nameEnd = line.lastIndexOf(')');
  if (nameEnd < 0) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from its last ')'.
  // Fields 14 and 15 of the line (utime, stime) are then the 12th and 13th.
  const fields = line.slice(nameEnd + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The executable's name (at most 15 characters), or undefined when the process is gone. */
export function readProcessName(pid: number): string | undefined {
  return readFirstLine(`/proc/${pid}/comm`);
}

function readFirstLine(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n', 1)[0];
  } catch (error) {
    // ENOENT: gone (the backend exited) or no /proc (not Linux); ESRCH: exiting as we read. Nothing to count.
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH'))
      return undefined;
    throw error;
  }
}

/** CPU milliseconds per pid at one moment. */
export type CpuSnapshot = Map<number, number>;

export function snapshotCpu(pids: Iterable<number>): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const pid of pids) {
    const cpuMs = readProcessCpuMs(pid);
    if (cpuMs !== undefined) snapshot.set(pid, cpuMs);
  }
  return snapshot;
}

/**
 * CPU the processes used between two snapshots. A pid only in `after` started in between, so all of its CPU
 * counts; a pid only in `before` exited in between, and what it used since `before` is lost (pools keep their
 * connections through a round, so this is rare).
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, cpuMs] of after) total += cpuMs - (before.get(pid) ?? 0);
  return total;
}
