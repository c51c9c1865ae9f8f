import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAddresses, recordedAddresses } from './recorded-addresses.js';
import { type SeededApp, startSeededApp } from './seeded-app.js';

const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };

/** The log ids the table shows, read in one evaluate (a string: the root tsconfig has no DOM types). */
/** The Logs page's filters in the address, as an object (their order follows the order they were applied in). */
const addressFilters = (page: Page) =>
  Object.fromEntries(new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? ''));

const shownIds = (page: Page) =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-testid="log-row"]')].map((row) => row.getAttribute('data-log-id') ?? '')`,
  );

describe('searching and narrowing the Logs page in Chromium', () => {
  let app: SeededApp;
  let server: SeededApp['server'];
  let browser: SeededApp['browser'];
  let api: SeededApp['api'];

  beforeAll(async () => {
    // Two thousand attempts over the last 60 days: several tasks, models, retries and failures.
    app = await startSeededApp({ logs: 2_000, suite: 'logs-search' });
    ({ server, browser, api } = app);
  });

  afterAll(() => app?.close());

  it('searches prompts and outputs, filters by latency and cost, shows the total, and exports the same selection', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, acceptDownloads: true });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${server.url}/#/logs`);
    const all = await api.logs.count();
    await expect
      .poll(() => page.getByTestId('logs-page').innerText(), WAIT)
      .toBe(`Page 1 · 25 rows of ${all.count.toLocaleString('en-US')}`);

    await page.getByTestId('logs-search').fill('refund');
    await page.getByTestId('logs-minLatencyMs').fill('2500');
    await page.getByTestId('logs-minCostUsd').fill('0.001');
    const applied = { q: 'refund', minLatencyMs: '2500', minCostUsd: '0.001' };
    // Enter in the three fields within one task, before React renders any of it: each change must start from the one
    // before it. (Their debounce timers fire as close together on a busy machine, and a lost change stayed lost.)
    const addressAfterEnter = await page.evaluate<string>(`(() => {
      for (const id of ['logs-search', 'logs-minLatencyMs', 'logs-minCostUsd']) {
        const field = document.querySelector('[data-testid="' + id + '"]');
        field?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      }
      return location.hash;
    })()`);
    expect(Object.fromEntries(new URLSearchParams(addressAfterEnter.split('?')[1] ?? ''))).toEqual(applied);
    await expect.poll(() => addressFilters(page), WAIT).toEqual(applied);
    const filters = { q: 'refund', minLatencyMs: 2_500, minCostUsd: 0.001 };
    const [expected, total] = await Promise.all([api.logs.list({ ...filters, limit: 25 }), api.logs.count(filters)]);
    expect(total.precision).toBe('exact');
    expect(total.count).toBeGreaterThan(0);
    expect(total.count).toBeLessThan(all.count);
    await expect.poll(() => shownIds(page), WAIT).toEqual(expected.items.map((item) => item.id));
    await expect
      .poll(() => page.getByTestId('logs-page').innerText(), WAIT)
      .toMatch(new RegExp(`of ${total.count.toLocaleString('en-US')}$`));
    await page.screenshot({ path: path.join(app.screenshots, '1-search-and-filters.png'), fullPage: true });

    await page.getByTestId('logs-export').click();
    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      page.getByTestId('logs-export-csv').click(),
    ]);
    const lines = readFileSync(await download.path(), 'utf8')
      .split('\r\n')
      .filter((line) => line !== '');
    expect(lines.length - 1).toBe(total.count);
    const header = lines[0]?.split(',') ?? [];
    const latency = header.indexOf('latency_ms');
    const cost = header.indexOf('cost_usd');
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      expect(Number(cells[latency])).toBeGreaterThanOrEqual(2_500);
      expect(Number(cells[cost])).toBeGreaterThanOrEqual(0.001);
    }

    // A bound that is not a number is shown as such and not applied.
    await page.getByTestId('logs-minLatencyMs').fill('fast');
    await expect.poll(() => page.getByText('A number of 0 or more, like 1500 or 0.25').count(), WAIT).toBe(1);
    expect(addressFilters(page)).toEqual(applied);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByTestId('logs-search').inputValue(), WAIT).toBe('');
    expect(await page.getByTestId('logs-minLatencyMs').inputValue()).toBe('');

    // An address whose values are all dropped as unusable filters nothing, and offers nothing to clear.
    await page.goto(`${server.url}/#/logs?status=bogus&minLatencyMs=abc&name=`);
    // A new page, not a change of the hash on the page before (whose rows and buttons are already there).
    await page.reload();
    await expect.poll(() => page.getByTestId('log-row').count(), WAIT).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Clear filters' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('applies a time typed on the keyboard once its year is typed, and shows a year under 1000 in four digits', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
    await page.goto(`${server.url}/#/logs?from=2026-12-04T09:30:00.000Z`);
    await page.getByTestId('logs-page').waitFor(WAIT);
    await recordAddresses(page);

    // mm/dd/yyyy, hh:mm AM in this locale: Chromium moves to the next part by itself, but from the year (which takes
    // up to six digits) only by an arrow.
    await page.getByLabel('Since').focus();
    await page.keyboard.type('11012025');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.type('0815AM');

    await expect.poll(() => addressFilters(page), WAIT).toEqual({ from: '2025-11-01T08:15:00.000Z' });
    expect(await page.getByLabel('Since').inputValue()).toBe('2025-11-01T08:15');
    expect((await recordedAddresses(page)).filter((address) => /from=0/.test(address))).toEqual([]);

    // An address can still hold one (typed by hand): the field shows it as the input needs it, not blank.
    await page.goto(`${server.url}/#/logs?from=0999-01-02T03:04:00.000Z`);
    await expect.poll(() => page.getByLabel('Since').inputValue(), WAIT).toBe('0999-01-02T03:04');
    await page.close();
  });

  it('offers Clear filters while a number field holds text it refuses, and empties the field', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${server.url}/#/logs`);
    await page.getByTestId('logs-page').waitFor(WAIT);
    const clearFilters = page.getByRole('button', { name: 'Clear filters' });
    expect(await clearFilters.count()).toBe(0);

    await page.getByTestId('logs-minLatencyMs').fill('abc');
    await clearFilters.click();

    expect(await page.getByTestId('logs-minLatencyMs').inputValue()).toBe('');
    await expect.poll(() => clearFilters.count(), WAIT).toBe(0);
    await page.close();
  });
});
