import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../server/test/fake-provider.js';
import { schemaNameOf, triageReply } from '../server/test/triage-replies.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { FIRST_VIEW_GZIP_BUDGET, measureFirstLoad } from '../bench/first-load.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';
import { HELD_CALL_ENV } from './held-call-env.js';
import { countCalls } from './trpc-calls.js';

const SCREENSHOTS = path.join('test-output', 'e2e', process.env.CHAINLOG_TEST_DB ?? 'pglite');
const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };

describe('the app in Chromium', () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;
  // The first step of each chain waits for the test, so pages are seen while the chain is running.
  let firstStepHeld: Promise<void> = Promise.resolve();
  // How many entity answers to come break the schema (ask() then asks again).
  let badEntityAnswers = 0;
  let releaseFirstStep: () => void = () => {};
  function holdFirstSteps(): void {
    firstStepHeld = new Promise<void>((resolve) => {
      releaseFirstStep = resolve;
    });
  }

  beforeAll(async () => {
    clientDir = await builtClient();
    fake = await startFakeProvider();
    fake.respondWith(async (request) => {
      const name = schemaNameOf(request);
      if (name === 'intent_recognition') await firstStepHeld;
      if (name === 'entity_extraction' && badEntityAnswers > 0) {
        badEntityAnswers--;
        return { kind: 'json', value: { orderNumbers: 'A-1042' } };
      }
      return triageReply(request);
    });
    server = await startRunningServer({ fakeProvider: fake, clientDir, env: HELD_CALL_ENV });
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  // A test that fails while it holds the first step must not leave its chain waiting for the provider's timeout.
  afterEach(() => releaseFirstStep());

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  /** Submits the "Order not arrived" example from the inbox and waits for its chain page. */
  async function submitExample(page: Page): Promise<void> {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  it('submits a message, shows its three steps finish live, then its logs and one log in detail', async () => {
    holdFirstSteps();
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));

    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), WAIT).toBe('open');
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    await expect.poll(() => page.getByLabel('Subject').inputValue()).toBe('Order A-1042 has not arrived');
    await screenshot(page, '1-inbox-form');
    await page.getByRole('button', { name: 'Submit' }).click();

    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    const firstStep = page.getByTestId('step-intent recognition');
    await expect.poll(() => firstStep.getAttribute('data-status'), WAIT).toBe('running');
    // The steps the chain plans and has not started yet, in order, after the one running.
    const upcoming = page.locator('[data-testid^="upcoming-step-"]');
    const upcomingIds = async () => Promise.all((await upcoming.all()).map((step) => step.getAttribute('data-testid')));
    await expect.poll(upcomingIds, WAIT).toEqual(['upcoming-step-entity extraction', 'upcoming-step-reply drafting']);
    await screenshot(page, '2-chain-running');

    releaseFirstStep();
    for (const step of ['intent recognition', 'entity extraction', 'reply drafting']) {
      await expect.poll(() => page.getByTestId(`step-${step}`).getAttribute('data-status'), WAIT).toBe('succeeded');
    }
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await expect
      .poll(() => page.getByTestId('chain-reply-draft').innerText(), WAIT)
      .toContain('Order A-1042 is on its way');
    expect(await upcoming.count()).toBe(0);
    await screenshot(page, '3-chain-finished');
    // The reply step's draft is the one stored: the Reply draft card shows it whole, the step two lines of it.
    const stepDraft = page.getByTestId('step-reply drafting').getByTestId('reply-draft');
    const preview = await page.evaluate<{ height: number; lineHeight: number }>(`(() => {
      const element = document.querySelector('[data-testid="step-reply drafting"] [data-testid="reply-draft-preview"]');
      return { height: element.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(element).lineHeight) };
    })()`);
    expect(preview.height).toBeGreaterThan(0);
    expect(preview.height).toBeLessThanOrEqual(2 * preview.lineHeight + 1);
    expect(
      await page.getByTestId('chain-reply-draft').getByRole('button', { name: 'Show the whole draft' }).count(),
    ).toBe(0);
    await stepDraft.getByRole('button', { name: 'Show the whole draft' }).click();
    expect(await stepDraft.innerText()).toContain(
      'Order A-1042 is on its way; we will send the tracking link today.\n\nThe Support Team',
    );
    // Answers of a real provider (the fake OpenAI) carry no offline label.
    expect(await page.getByTestId('offline-chip').count()).toBe(0);

    await page.getByRole('link', { name: /view logs/i }).click();
    await page.waitForURL(/#\/logs\?chainId=/, WAIT);
    await expect.poll(() => page.getByTestId('log-row').count(), WAIT).toBe(3);
    await screenshot(page, '4-chain-logs');

    await page.getByTestId('log-row').first().getByRole('link').first().click();
    await page.waitForURL(/#\/logs\/[0-9a-f-]{36}$/, WAIT);
    await expect.poll(() => page.getByTestId('log-output').innerText(), WAIT).toMatch(/order_status|A-1042|on its way/);
    await expect.poll(() => page.getByTestId('log-request').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('log-response').isVisible()).toBe(true);
    // gpt-4.1-mini is priced from the table bundled in @pydantic/genai-prices, which the page names.
    expect(await page.getByTestId('log-price-source').innerText()).toMatch(/^genai-prices@\d+\.\d+\.\d+$/);
    await screenshot(page, '5-log-detail');

    await page.goto(server.url);
    await expect
      .poll(() => page.getByTestId('inbox-message').first().getAttribute('data-status'), WAIT)
      .toBe('succeeded');
    await screenshot(page, '6-inbox-list');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('loads the first view compressed and within its budget, and the code of each page only when it is first shown', async () => {
    const { firstView } = await measureFirstLoad(clientDir);
    const firstViewGzip = firstView.reduce((sum, chunk) => sum + chunk.gzip, 0);
    expect(firstViewGzip).toBeLessThanOrEqual(FIRST_VIEW_GZIP_BUDGET);

    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    // Each script fetched: the encoding Chromium accepted and the one it was sent in.
    const scripts = new Map<string, { accepted: string; sent: string }>();
    page.on('response', async (response) => {
      const name = path.posix.basename(new URL(response.url()).pathname);
      if (!name.endsWith('.js')) return;
      const [requestHeaders, responseHeaders] = await Promise.all([
        response.request().allHeaders(),
        response.allHeaders(),
      ]);
      scripts.set(name, {
        accepted: requestHeaders['accept-encoding'] ?? '',
        sent: responseHeaders['content-encoding'] ?? 'identity',
      });
    });
    const loaded = (pageName: string) => [...scripts.keys()].some((name) => name.startsWith(`${pageName}-`));

    await page.goto(server.url);
    await page.getByRole('button', { name: 'Order not arrived' }).waitFor(WAIT);
    await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), WAIT).toBe('open');
    expect(loaded('inbox-page')).toBe(true);
    expect(['chain-page', 'logs-page', 'log-detail-page', 'stats-page'].filter(loaded)).toEqual([]);
    for (const { file } of firstView) {
      const script = scripts.get(path.posix.basename(file));
      expect(script, file).toBeDefined();
      expect(script?.sent, file).toBe(script?.accepted.includes('br') ? 'br' : 'gzip');
    }

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logs' }).click();
    await page.getByTestId('logs-page').waitFor(WAIT);
    expect(loaded('logs-page')).toBe(true);
    expect(loaded('chain-page')).toBe(false);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows the start of a long message on its chain, and the rest on request', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const thread = Array.from({ length: 60 }, (_, index) => `Line ${index + 1} of the forwarded thread.`).join('\n');

    await page.goto(server.url);
    await page.getByLabel('From').fill('ann.lee@example.com');
    await page.getByLabel('Message').fill(thread);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    const body = page.getByTestId('message-body');
    await body.waitFor(WAIT);

    expect(await body.innerText()).toBe(`${thread.split('\n').slice(0, 12).join('\n')}…`);
    await screenshot(page, '8-chain-long-message');
    await page.getByRole('button', { name: `Show all (${thread.length.toLocaleString('en-US')} characters)` }).click();
    expect(await body.innerText()).toBe(thread);
    await page.close();
  });

  it('wraps a message of long unbroken words on a phone instead of widening the page', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    const longWord = 'https://example.com/track/'.concat('A1042'.repeat(40));

    await page.goto(server.url);
    await page.getByLabel('From').fill(`ann.lee@${'support-team-'.repeat(8)}example.com`);
    await page.getByLabel('Subject').fill(`Order ${'A1042'.repeat(30)}`);
    await page.getByLabel('Message').fill(`Where is my order? The tracking link ${longWord} does not work.`);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    // The reply step's folded draft is cut at two lines here (the Reply draft card below holds all of it).
    await page.getByTestId('chain-reply-draft').waitFor(WAIT);
    const previewClipped = `(() => {
      const preview = document.querySelector('[data-testid="step-reply drafting"] [data-testid="reply-draft-preview"]');
      return preview.scrollHeight > preview.clientHeight;
    })()`;
    expect(await page.evaluate<boolean>(previewClipped)).toBe(true);
    await screenshot(page, '7-chain-long-words-phone');
    // The subject heads the page in two lines at most, the whole of it in its title.
    const heading = page.getByRole('heading', { level: 1 });
    expect(await heading.getAttribute('title')).toBe(`Order ${'A1042'.repeat(30)}`);
    const lineHeight = await page.evaluate<number>(
      "parseFloat(getComputedStyle(document.querySelector('h1')).lineHeight)",
    );
    expect((await heading.boundingBox())?.height).toBeLessThanOrEqual(2 * lineHeight + 1);

    // A string, as the root tsconfig has no DOM types: runs in the page.
    const pageWidth = () => page.evaluate<number>('document.documentElement.scrollWidth');
    expect(await pageWidth()).toBeLessThanOrEqual(375);
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('inbox-message').count(), WAIT).toBeGreaterThan(0);
    await screenshot(page, '7-inbox-list-phone');
    expect(await pageWidth()).toBeLessThanOrEqual(375);
    await page.close();
  });

  it('keeps an address whose domain is in another script as it was typed, not as punycode', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(server.url);
    await page.getByLabel('From').fill('zhang.wei@例え.jp');
    await page.getByLabel('Message').fill('Where is order A-1042?');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);

    await expect.poll(() => page.getByText('zhang.wei@例え.jp').count(), WAIT).toBeGreaterThan(0);
    expect(await page.getByText('xn--').count()).toBe(0);
    await page.close();
  });

  it('counts a field near its limit, and keeps a paste past it whole, marked, and not sent', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const calls = countCalls(page);
    await page.goto(server.url);
    const subject = page.getByLabel('Subject');
    const hint = page.locator('#message-subject-helper-text');
    await page.getByLabel('From').fill('ada@example.com');
    await page.getByLabel('Message').fill('Where is order A-1042?');

    await subject.fill('x'.repeat(280));
    await expect.poll(() => hint.innerText(), WAIT).toBe('280 / 300 characters');
    expect(await subject.getAttribute('aria-invalid')).toBe('false');
    await subject.fill('x'.repeat(400));

    // All of the paste stays, so the writer sees what to cut; Submit sends nothing until it fits.
    expect((await subject.inputValue()).length).toBe(400);
    await expect.poll(() => hint.innerText(), WAIT).toBe('400 / 300 characters: 100 too many');
    expect(await subject.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Submit' }).click();
    await subject.press('End');
    for (let deleted = 0; deleted < 100; deleted++) await subject.press('Backspace');
    await expect.poll(() => hint.innerText(), WAIT).toBe('300 / 300 characters');
    // Counted as the server counts it, after trimming: a space at the end is not one too many.
    await subject.press('Space');
    await expect.poll(() => hint.innerText(), WAIT).toBe('300 / 300 characters');
    expect(await subject.getAttribute('aria-invalid')).toBe('false');
    expect(calls.get('inbox.submit')).toBeUndefined();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/#\/chains\/[0-9a-f-]{36}$/, WAIT);
    expect(calls.get('inbox.submit')).toBe(1);
    await page.close();
  });

  it('shows a log opened while its call is pending as finished once the call ends, without a reload', async () => {
    holdFirstSteps();
    const page = await browser.newPage({ viewport: DESKTOP });
    await submitExample(page);
    await expect.poll(() => page.getByTestId('chain-log-link').count(), WAIT).toBe(1);

    await page.getByTestId('chain-log-link').click();
    await page.waitForURL(/#\/logs\/[0-9a-f-]{36}$/, WAIT);
    await expect.poll(() => page.getByTestId('log-status').getAttribute('data-status'), WAIT).toBe('pending');
    releaseFirstStep();

    await expect.poll(() => page.getByTestId('log-status').getAttribute('data-status'), WAIT).toBe('ok');
    await expect.poll(() => page.getByTestId('log-output').innerText(), WAIT).toContain('order_status');
    await page.close();
  });

  it('shows each attempt of a retried step and counts every attempt in the chain totals', async () => {
    badEntityAnswers = 1;
    const page = await browser.newPage({ viewport: DESKTOP });
    await submitExample(page);
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');

    const attempts = page.getByTestId('step-entity extraction').getByTestId('step-attempt');
    // The chain's status comes with its last event; the log rows with the snapshot read after it, a moment later.
    await expect
      .poll(async () => Promise.all((await attempts.all()).map((row) => row.getAttribute('data-status'))), WAIT)
      .toEqual(['error', 'ok']);
    expect(await attempts.first().innerText()).toContain('OutputValidationError');
    await expect
      .poll(() => page.getByTestId('chain-totals').innerText(), WAIT)
      .toMatch(/^3 calls, 4 attempts · .* in models · 1 failed attempt · \$/);
    await expect
      .poll(() => page.getByTestId('chain-logs').innerText(), WAIT)
      .toContain('Inference calls (3 calls, 4 attempts)');
    await screenshot(page, 'retried-step');

    await attempts.first().getByRole('link').click();
    await page.waitForURL(/#\/logs\/[0-9a-f-]{36}$/, WAIT);
    await expect.poll(() => page.getByTestId('log-status').getAttribute('data-status'), WAIT).toBe('error');
    await page.close();
  });

  it('opens a chain only the log knows (calls made with ask() directly) with its calls as steps', async () => {
    const message = { from: 'ann@example.com', subject: 'Where is my order?', body: 'Order A-1042 has not arrived.' };
    const first = await server.dependencies.llm.ask('intent recognition', message);
    await server.dependencies.llm.ask('entity extraction', message, { chainId: first.chainId });
    const page = await browser.newPage({ viewport: DESKTOP });

    await page.goto(`${server.url}/#/chains/${first.chainId}`);

    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    expect(await page.getByTestId('unrecorded-chain').innerText()).toContain('No chain runner recorded this chain');
    for (const step of ['intent recognition', 'entity extraction']) {
      await expect.poll(() => page.getByTestId(`step-${step}`).getAttribute('data-status'), WAIT).toBe('succeeded');
    }
    expect(await page.getByTestId('chain-totals').innerText()).toMatch(/^2 calls · .* in models · \$/);
    await screenshot(page, 'chain-of-ask-calls');
    await page.close();
  });

  it('applies no chain filter while the chain id field holds no whole id, and says so', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await submitExample(page);
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await page.getByRole('link', { name: /view logs/i }).click();
    await expect.poll(() => page.getByTestId('log-row').count(), WAIT).toBe(3);

    const chainIdField = page.getByLabel('Chain id');
    // The whole id is in view, not scrolled inside the field.
    expect(await chainIdField.inputValue()).toHaveLength(36);
    const hidden = `(() => { const input = document.querySelector('input[placeholder="any chain"]'); return input.scrollWidth - input.clientWidth; })()`;
    expect(await page.evaluate<number>(hidden)).toBe(0);
    // One character short of the chain's id, as when it is being edited.
    await chainIdField.fill((await chainIdField.inputValue()).slice(0, -1));

    await expect.poll(() => page.url(), WAIT).toMatch(/#\/logs$/);
    await expect.poll(() => page.getByText('Not a chain id (UUID): not applied').isVisible(), WAIT).toBe(true);
    const unfiltered = await browser.newPage();
    await unfiltered.goto(`${server.url}/#/logs`);
    await expect.poll(() => unfiltered.getByTestId('log-row').count(), WAIT).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('log-row').count(), WAIT)
      .toBe(await unfiltered.getByTestId('log-row').count());
    await screenshot(page, '8-logs-half-typed-chain-id');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => chainIdField.inputValue(), WAIT).toBe('');
    await Promise.all([page.close(), unfiltered.close()]);
  });

  it('says the message was not sent when the server cannot be reached', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Order not arrived' }).click();
    // The submit request fails as it does with the server down; the rest of the page stays connected.
    await page.route('**/trpc/inbox.submit**', (route) => route.abort('connectionrefused'));
    await page.getByRole('button', { name: 'Submit' }).click();

    await expect
      .poll(() => page.getByRole('alert').innerText(), WAIT)
      .toContain('could not be reached, so the message was not sent');
    expect(page.url()).not.toMatch(/#\/chains\//);
    await page.close();
  });

  it('says a list could not be loaded when the server cannot be reached, and loads it again on request', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await submitExample(page);
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await page.goto(`${server.url}/#/logs`);
    await page.getByTestId('log-row').first().waitFor(WAIT);
    // Every logs.list request fails as it does with the server down (batched or not); the WebSocket stays open.
    const listRequest = (url: URL) => url.pathname.includes('logs.list');
    await page.route(listRequest, (route) => route.abort('connectionrefused'));

    await page.getByLabel('Search prompts and outputs').fill('order');
    await page.getByLabel('Search prompts and outputs').press('Enter');

    const failed = page.getByTestId('error-state');
    await expect.poll(() => failed.innerText(), WAIT).toContain('The server cannot be reached. Try again');
    expect(await failed.innerText()).not.toContain('Failed to fetch');
    await page.unroute(listRequest);
    await failed.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('log-row').first().waitFor(WAIT);
    expect(await failed.count()).toBe(0);
    await page.close();
  });

  it("keeps the app bar and offers a reload when a page's code cannot be fetched", async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Order not arrived' }).waitFor(WAIT);
    // As with the server down, or a deploy that replaced the files this tab was built with.
    await page.route('**/assets/stats-page-*.js', (route) => route.abort('connectionrefused'));
    const nav = page.getByRole('navigation', { name: 'Main' });

    await nav.getByRole('link', { name: 'Stats' }).click();

    const failed = page.getByTestId('page-error');
    await expect.poll(() => failed.innerText(), WAIT).toContain('Could not load this page');
    expect(await nav.getByRole('link', { name: 'Logs' }).isVisible()).toBe(true);
    await screenshot(page, 'page-code-not-fetched');
    // Another page still opens from the same tab.
    await nav.getByRole('link', { name: 'Logs' }).click();
    await page.getByTestId('logs-page').waitFor(WAIT);
    expect(await failed.count()).toBe(0);
    await nav.getByRole('link', { name: 'Stats' }).click();
    await failed.waitFor(WAIT);

    await page.unroute('**/assets/stats-page-*.js');
    await failed.getByRole('button', { name: 'Reload' }).click();
    await page.getByTestId('stats-totals').waitFor(WAIT);
    expect(await failed.count()).toBe(0);
    await page.close();
  });

  it('keeps the logs page after opening a row and going back, and after a reload', async () => {
    // More rows than one page (25) holds, whatever the other tests logged.
    const llm = server.dependencies.llm;
    for (let index = 0; index < 26; index++) {
      await llm.ask('intent recognition', {
        from: 'ann@example.com',
        subject: `Paging ${index}`,
        body: 'Where is my order A-1042?',
      });
    }
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${server.url}/#/logs`);
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 1 · 25 rows/);

    const firstRowOfPage1 = await page.getByTestId('log-row').first().innerText();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 2/);
    // Until page 2 arrives, page 1 stays on screen under a progress bar.
    await expect.poll(() => page.getByTestId('log-row').first().innerText(), WAIT).not.toBe(firstRowOfPage1);
    const firstRowOfPage2 = await page.getByTestId('log-row').first().innerText();
    await page.getByTestId('log-row').first().getByRole('link').first().click();
    await page.waitForURL(/#\/logs\/[0-9a-f-]{36}$/, WAIT);
    await page.goBack();
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 2/);
    await expect.poll(() => page.getByTestId('log-row').first().innerText(), WAIT).toBe(firstRowOfPage2);

    await page.reload();
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 2/);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 1/);
    await page.close();
  });
});
