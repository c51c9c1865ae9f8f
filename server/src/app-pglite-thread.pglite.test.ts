import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migratedPgliteFolder } from '../test/test-database.js';
import { type App, openApp } from './app.js';
import type { InstanceRole } from './db/tables/instance.js';
import { parseEnv } from './env.js';

/** How often a 5 ms interval ran while the app's database ran a 300 ms statement: never, if it ran in this thread. */
async function ticksDuringStatement(app: App): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await sql`select pg_sleep(0.3)`.execute(app.database.db);
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

async function ticksOf(role: InstanceRole, env: Record<string, string> = {}): Promise<number> {
  const folder = migratedPgliteFolder('chainlog-thread-');
  const app = await openApp(parseEnv({ CHAINLOG_DATA_DIR: folder, ...env }), role);
  try {
    return await ticksDuringStatement(app);
  } finally {
    await app.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

describe("PGlite's thread", () => {
  it("is the CLI's own (one call, no sockets to keep serving), and a worker for the server, unless set", async () => {
    expect(await ticksOf('cli')).toBeLessThanOrEqual(1);
    expect(await ticksOf('server')).toBeGreaterThan(10);
    expect(await ticksOf('cli', { CHAINLOG_PGLITE_THREAD: 'worker' })).toBeGreaterThan(10);
  });
});
