import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { openTestDatabase } from '../server/test/test-database.js';
import { seedSyntheticData } from '../server/src/db/synthetic-seed.js';
import { createCaller } from '../server/src/routers/app.js';
import { createInnerContext } from '../server/src/trpc/context.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';

export interface SeededApp {
  server: RunningServer;
  /** The server's procedures, called in-process: what a page should show. */
  api: ReturnType<typeof createCaller>;
  browser: Browser;
  /** An emptied folder for this suite's screenshots. */
  screenshots: string;
  close(): Promise<void>;
}

/**
 * The built client on a real server over a test database holding `logs` synthetic attempts (db:seed's, over the
 * last 60 days), and Chromium: for pages that show what many rows add up to.
 */
export async function startSeededApp(options: { logs: number; suite: string }): Promise<SeededApp> {
  const clientDir = await builtClient();
  const database = await openTestDatabase();
  await seedSyntheticData(database.db, { logs: options.logs });
  const server = await startRunningServer({ database, clientDir });
  const browser = await launchChromium();
  const screenshots = path.join('test-output', 'e2e', process.env.CHAINLOG_TEST_DB ?? 'pglite', options.suite);
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  return {
    server,
    api: createCaller(createInnerContext(server.dependencies)),
    browser,
    screenshots,
    async close() {
      await browser.close();
      await server.close();
      await database.close();
    },
  };
}
