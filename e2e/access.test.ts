import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../server/test/fake-provider.js';
import { schemaNameOf, triageReply } from '../server/test/triage-replies.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';
import { HELD_CALL_ENV } from './held-call-env.js';

const SCREENSHOTS = path.join('test-output', 'e2e', 'access', process.env.CHAINLOG_TEST_DB ?? 'pglite');
const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };
const TOKEN = 'e2e-door-token-5b8d0f3a9c';

describe('the app in Chromium, against a server with CHAINLOG_TOKEN', () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;
  // The first step waits for the test, so the chain is seen running and then finishing, live.
  let releaseFirstStep: () => void = () => {};
  const firstStepHeld = new Promise<void>((resolve) => {
    releaseFirstStep = resolve;
  });

  beforeAll(async () => {
    clientDir = await builtClient();
    fake = await startFakeProvider();
    fake.respondWith(async (request) => {
      const name = schemaNameOf(request);
      if (name === 'intent_recognition') await firstStepHeld;
      return triageReply(request);
    });
    server = await startRunningServer({
      fakeProvider: fake,
      clientDir,
      env: { ...HELD_CALL_ENV, CHAINLOG_TOKEN: TOKEN },
    });
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    releaseFirstStep();
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function enterToken(page: Page, token: string): Promise<void> {
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Unlock' }).click();
  }

  it('asks for the token, refuses a wrong one, and with the right one loads the inbox and follows a chain live', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));

    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('token-dialog').isVisible(), WAIT).toBe(true);
    expect(await page.getByRole('button', { name: 'Order not arrived' }).count()).toBe(0);
    await screenshot(page, '1-token-asked');

    await enterToken(page, 'not-the-right-token-000');
    await expect.poll(() => page.getByText('That token was refused.').isVisible(), WAIT).toBe(true);
    await screenshot(page, '2-token-refused');

    const healthCall = '**/trpc/health**';
    await page.route(healthCall, (route) => route.abort('connectionrefused'));
    await enterToken(page, TOKEN);
    await expect
      .poll(() => page.getByText('Could not check the token: The server cannot be reached.').isVisible(), WAIT)
      .toBe(true);
    await page.unroute(healthCall);

    await enterToken(page, TOKEN);
    await expect.poll(() => page.getByTestId('token-dialog').count(), WAIT).toBe(0);
    await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), WAIT).toBe('open');
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    await expect
      .poll(() => page.getByTestId('step-intent recognition').getAttribute('data-status'), WAIT)
      .toBe('running');

    releaseFirstStep();
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await expect
      .poll(() => page.getByTestId('chain-reply-draft').innerText(), WAIT)
      .toContain('Order A-1042 is on its way');
    await screenshot(page, '3-chain-finished-with-token');

    // Kept for the session: a reload goes straight to the inbox.
    await page.goto(server.url);
    await expect
      .poll(() => page.getByTestId('inbox-message').first().getAttribute('data-status'), WAIT)
      .toBe('succeeded');
    expect(await page.getByTestId('token-dialog').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('brings the dialog back, saying the token was refused, when the token kept for the session is no longer right', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('token-dialog').isVisible(), WAIT).toBe(true);
    // As if the server had been restarted with another token since this tab stored its own.
    await page.evaluate(`sessionStorage.setItem('chainlog.token', 'an-old-token-0123456789')`);

    await page.reload();

    await expect.poll(() => page.getByText('That token was refused.').isVisible(), WAIT).toBe(true);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('chainlog.token')`)).toBeNull();
    await enterToken(page, TOKEN);
    await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), WAIT).toBe('open');
    await page.close();
  });
});
