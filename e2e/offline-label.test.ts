import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';

const SCREENSHOTS = path.join('test-output', 'e2e-offline', process.env.CHAINLOG_TEST_DB ?? 'pglite');
const WAIT = { timeout: 15_000 };
// Three pages, each waited for: on a loaded 2-core machine this outlasts the 30 s default.
const DESKTOP = { width: 1360, height: 900 };
const STEPS = ['intent recognition', 'entity extraction', 'reply drafting'];

describe('answers of the offline provider in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;

  beforeAll(async () => {
    clientDir = await builtClient();
    // No fake provider: no task has a key, so every step runs on the offline provider.
    server = await startRunningServer({ clientDir });
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  /** The tooltip text of the offline chip inside `scope`, shown by hovering it. */
  async function offlineTooltip(page: Page, chip: ReturnType<Page['getByTestId']>): Promise<string> {
    await chip.hover();
    const tooltip = page.getByRole('tooltip');
    await tooltip.waitFor(WAIT);
    const text = await tooltip.innerText();
    await page.mouse.move(0, 0);
    await tooltip.waitFor({ state: 'hidden', ...WAIT });
    return text;
  }

  it('labels every offline step, log row and log as offline, with a tooltip saying it is no model answer', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));

    await page.goto(server.url);
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    for (const step of STEPS) {
      await expect.poll(() => page.getByTestId(`step-${step}`).getAttribute('data-status'), WAIT).toBe('succeeded');
      await expect.poll(() => page.getByTestId(`step-${step}`).getByTestId('offline-chip').count(), WAIT).toBe(1);
    }
    await expect.poll(() => page.getByTestId('chain-log-link').getByTestId('offline-chip').count(), WAIT).toBe(3);
    await expect
      .poll(() => page.getByTestId('offline-alert').innerText(), WAIT)
      .toContain('Every step of this chain was answered by the offline provider');
    expect(
      await offlineTooltip(page, page.getByTestId('step-intent recognition').getByTestId('offline-chip')),
    ).toContain('deterministic stand-in, not a model answer');
    await screenshot(page, '1-chain-offline');

    await page.getByRole('link', { name: /view logs/i }).click();
    await page.waitForURL(/#\/logs\?chainId=/, WAIT);
    await expect.poll(() => page.getByTestId('log-row').count(), WAIT).toBe(3);
    await expect.poll(() => page.getByTestId('log-row').getByTestId('offline-chip').count(), WAIT).toBe(3);
    await screenshot(page, '2-logs-offline');

    await page.getByTestId('log-row').first().getByRole('link').first().click();
    await page.waitForURL(/#\/logs\/[0-9a-f-]{36}$/, WAIT);
    const detailChip = page.getByTestId('log-detail').getByTestId('offline-chip');
    await detailChip.waitFor(WAIT);
    expect(await offlineTooltip(page, detailChip)).toMatch(/not a model answer\. It stood in for openai:gpt-4\.1-mini/);
    await screenshot(page, '3-log-detail-offline');

    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
