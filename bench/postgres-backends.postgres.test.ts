import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../server/test/test-database.js';
import { backendCpuReader } from './postgres-backends.js';
import { cpuBetween, readProcessName } from './process-cpu.js';

const PREFIX = `chainlog backends test ${process.pid} ${Math.random().toString(36).slice(2, 8)}`;
let admin: pg.Client;
let worker: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: testDatabaseUrl() });
  worker = new pg.Client({ connectionString: testDatabaseUrl(), application_name: `${PREFIX} worker` });
  await Promise.all([admin.connect(), worker.connect()]);
});

afterAll(async () => {
  await Promise.all([admin?.end(), worker?.end()]);
});

describe("the CPU of the bench's PostgreSQL backends", () => {
  it('reads the backends named with the prefix, not the others, and sees their work', async () => {
    const read = await backendCpuReader(admin, PREFIX);
    const { rows } = await worker.query<{ pid: number }>('select pg_backend_pid() as pid');
    const workerPid = rows[0]?.pid ?? 0;
    // CI's PostgreSQL runs on the same machine; one elsewhere (or in a container) has pids that are not ours to read.
    if (readProcessName(workerPid) !== 'postgres') {
      expect(read).toBeUndefined();
      return;
    }
    const before = (await read?.()) ?? new Map<number, number>();
    expect([...before.keys()]).toEqual([workerPid]);
    await worker.query('select count(*) from generate_series(1, 2000000)');
    const after = (await read?.()) ?? new Map<number, number>();
    expect(cpuBetween(before, after)).toBeGreaterThan(0);
  });
});
