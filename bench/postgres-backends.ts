/** The PostgreSQL backends serving the bench's connections, and their CPU, read from /proc. */
import type pg from 'pg';
import { type CpuSnapshot, readProcessName, snapshotCpu } from './process-cpu.js';

/**
 * Returns a function that snapshots the CPU of every backend whose application_name starts with `prefix`, or
 * undefined when they are not processes of this machine (a PostgreSQL elsewhere, or in a container of its own:
 * its pids would name unrelated local processes, or none).
 */
export async function backendCpuReader(
  admin: pg.Client,
  prefix: string,
): Promise<(() => Promise<CpuSnapshot>) | undefined> {
  const pids = async () => {
    const { rows } = await admin.query<{ pid: number }>(
      'select pid from pg_stat_activity where starts_with(application_name, $1)',
      [prefix],
    );
    return rows.map((row) => row.pid);
  };
  const { rows } = await admin.query<{ pid: number }>('select pg_backend_pid() as pid');
  const ownPid = rows[0]?.pid;
  if (ownPid === undefined || readProcessName(ownPid) !== 'postgres') return undefined;
  return async () => snapshotCpu(await pids());
}
