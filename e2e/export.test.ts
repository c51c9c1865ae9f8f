import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalystSeed, seedAnalystData } from '../server/test/analyst-seed.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { openTestDatabase } from '../server/test/test-database.js';
import type { DatabaseHandle } from '../server/src/db/client.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';

const WAIT = { timeout: 15_000 };
const TOKEN = 'e2e-export-token-7c2d9e4a1f';

describe("the Logs page's Export button, in Chromium, against a server with CHAINLOG_TOKEN", () => {
  let database: DatabaseHandle;
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;
  let seed: AnalystSeed;

  beforeAll(async () => {
    clientDir = await builtClient();
    database = await openTestDatabase();
    seed = await seedAnalystData(database.db);
    server = await startRunningServer({ database, clientDir, env: { CHAINLOG_TOKEN: TOKEN } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it('downloads the filtered logs as a CSV file, sent with the token', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${server.url}/#/logs?status=error&name=reply%20drafting`);
    await page.getByLabel('Token', { exact: true }).fill(TOKEN);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/Page 1/);

    await page.getByTestId('logs-export').click();
    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      page.getByTestId('logs-export-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^chainlog-logs-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe(
      'id,chain_id,name,provider,model,status,attempt,call_id,input_tokens,output_tokens,cost_usd,price_source,latency_ms,created_at,finished_at,error_class,error_message',
    );
    const rows = lines.slice(1).map((line) => line.split(','));
    // The seed's two failed reply drafts (a validation retry, broken JSON): the filters of the page, not every log.
    expect(rows.map((row) => row[1]).sort()).toEqual([seed.chainIds.replyRetried, seed.chainIds.tenDaysAgo].sort());
    expect(new Set(rows.map((row) => `${row[2]}/${row[5]}`))).toEqual(new Set(['reply drafting/error']));

    // With no answer from the server, the menu says so (fetch's own words are "Failed to fetch").
    await page.route('**/export/**', (route) => route.abort('connectionrefused'));
    await page.getByTestId('logs-export').click();
    await page.getByTestId('logs-export-csv').click();
    await expect
      .poll(() => page.getByText('Export failed: the server could not be reached.').isVisible(), WAIT)
      .toBe(true);
    await page.close();
  });
});
