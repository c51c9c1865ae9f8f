import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { openTestDatabase } from '../server/test/test-database.js';
import type { DatabaseHandle } from '../server/src/db/client.js';
import { jobsSchemaFor } from '../server/src/db/jobs-schema.js';
import { markInstanceStopped, registerInstance } from '../server/src/db/queries/instances.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';

const SCREENSHOTS = path.join('test-output', 'e2e', process.env.CHAINLOG_TEST_DB ?? 'pglite', 'instances');
const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };
const PHONE = { width: 375, height: 800 };

// Three server processes as the instance table knows them: two beating, one whose heartbeat lapsed a while ago.
const beating = [
  { id: randomUUID(), life_id: randomUUID(), role: 'server', hostname: 'chainlog-a.prod.internal', pid: 4101 },
  { id: randomUUID(), life_id: randomUUID(), role: 'server', hostname: 'chainlog-b.prod.internal', pid: 4102 },
] as const;
const lapsed = { id: randomUUID(), role: 'server', hostname: 'chainlog-c.prod.internal', pid: 4103 } as const;

describe('the Instances panel of the Chains page in Chromium', () => {
  let database: DatabaseHandle & { schema?: string };
  let server: RunningServer;
  let browser: Browser;
  let heartbeats: NodeJS.Timeout | undefined;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    const clientDir = await builtClient();
    database = await openTestDatabase();
    server = await startRunningServer({ clientDir, database });
    const { db } = server.dependencies;
    for (const instance of [...beating, lapsed]) await registerInstance(db, instance);
    await db
      .updateTable('instance')
      .set({ heartbeat_at: sql<Date>`now() - interval '5 minutes'` })
      .where('id', '=', lapsed.id)
      .execute();
    // The two beat as live instances do (on a busy machine the test outlasts their 10 s lease); a stopped one stops.
    heartbeats = setInterval(() => {
      void db
        .updateTable('instance')
        .set({ heartbeat_at: sql<Date>`now()` })
        .where(
          'id',
          'in',
          beating.map((instance) => instance.id),
        )
        .where('stopped_at', 'is', null)
        .execute()
        .catch(() => undefined);
    }, 1_000);
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    clearInterval(heartbeats);
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it('loads the panel only when opened, lists each instance with its state and heartbeat, and follows a stop', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    const scripts: string[] = [];
    page.on('request', (request) => scripts.push(path.posix.basename(new URL(request.url()).pathname)));
    const panelLoaded = () => scripts.some((name) => name.startsWith('instances-panel-'));

    await page.goto(`${server.url}/#/chains`);
    await page.getByRole('heading', { name: 'Chains', exact: true }).waitFor(WAIT);
    expect(panelLoaded()).toBe(false);

    await page.getByRole('button', { name: 'Instances' }).click();
    await page.getByTestId('instances-panel').waitFor(WAIT);
    expect(panelLoaded()).toBe(true);
    await expect.poll(() => page.getByTestId('instance-row').count(), WAIT).toBe(3);
    const state = (id: string) =>
      page.locator(`[data-testid="instance-row"][data-instance-id="${id}"]`).getAttribute('data-state');
    for (const { id } of beating) expect(await state(id)).toBe('alive');
    expect(await state(lapsed.id)).toBe('lapsed');
    const panelText = await page.getByTestId('instances-panel').innerText();
    expect(panelText).toContain('2 alive of 3');
    expect(panelText).toContain('0 chains waiting, 0 running here');
    expect(panelText).toContain('chainlog-a.prod.internal');
    expect(panelText).toMatch(/5 min ago/);
    await screenshot(page, '1-instances-desktop');

    // One of them shuts down: the panel says so at its next refresh, without a reload.
    const [stopping] = beating;
    await markInstanceStopped(server.dependencies.db, stopping.id, stopping.life_id);
    await expect.poll(() => state(stopping.id), WAIT).toBe('stopped');
    await expect.poll(() => page.getByTestId('instances-panel').innerText(), WAIT).toContain('1 alive of 3');
    await screenshot(page, '2-instance-stopped');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('warns while the answering instance cannot read the chain queue, with why, and clears once it can', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${server.url}/#/chains`);
    await page.getByRole('button', { name: 'Instances' }).click();
    await expect.poll(() => page.getByTestId('instance-row').count(), WAIT).toBe(3);
    const jobs = jobsSchemaFor(database.schema);
    // The queue's table renamed away, as a revoked grant or a lock timing out would leave it: the runner's looks fail.
    await sql`alter table ${sql.id(jobs, 'job')} rename to job_away`.execute(database.db);
    try {
      const problem = page.getByTestId('chain-queue-problem');
      await expect.poll(() => problem.count(), WAIT).toBe(1);
      expect(await problem.innerText()).toMatch(/cannot read the chain queue since .*job" does not exist/s);
      await screenshot(page, '3-chain-queue-unreadable');
    } finally {
      await sql`alter table if exists ${sql.id(jobs, 'job_away')} rename to job`.execute(database.db);
    }
    await expect.poll(() => page.getByTestId('chain-queue-problem').count(), { timeout: 30_000 }).toBe(0);
    await page.close();
  });

  it("keeps the page's width on a phone with the panel open (the table scrolls in its card)", async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${server.url}/#/chains`);
    await page.getByRole('button', { name: 'Instances' }).click();
    await expect.poll(() => page.getByTestId('instance-row').count(), WAIT).toBe(3);
    await screenshot(page, '4-instances-phone');
    // A string, as the root tsconfig has no DOM types: runs in the page.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.close();
  });
});
