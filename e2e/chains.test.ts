import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../server/test/fake-provider.js';
import { schemaNameOf, triageReply } from '../server/test/triage-replies.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { followChain } from '../server/test/follow-chain.js';
import { createCaller } from '../server/src/routers/app.js';
import { createInnerContext } from '../server/src/trpc/context.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';
import { HELD_CALL_ENV } from './held-call-env.js';

const SCREENSHOTS = path.join('test-output', 'e2e', process.env.CHAINLOG_TEST_DB ?? 'pglite', 'chains');
const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };
const PHONE = { width: 375, height: 800 };
// How far a failed chain's error reaches past the right edge of its cell in the chain list (table cells do not clip).
const ERROR_PAST_ITS_CELL =
  "(() => { const error = document.querySelector('[data-testid=chain-error]'); return error.getBoundingClientRect().right - error.closest('td').getBoundingClientRect().right; })()";
const MESSAGE = {
  from: 'ann@example.com',
  subject: 'Order A-1042 has not arrived',
  body: 'Hi, order A-1042 has not arrived yet. Ann',
};

describe('the Chains page and the chain waterfall in Chromium', () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;
  let api: ReturnType<typeof createCaller>;
  let firstStepHeld: Promise<void> = Promise.resolve();
  let releaseFirstStep: () => void = () => {};
  // How many entity answers to come break the schema (ask() then asks again), and how many replies fail with a 500.
  let badEntityAnswers = 0;
  let failingReplies = 0;
  // The chains made before the tests, by what they show.
  const chains = { retried: '', failed: '', askedEntities: '', asked: [] as string[] };

  async function finished(chainId: string): Promise<void> {
    await followChain(server.dependencies, chainId);
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
      if (name === 'reply_drafting' && failingReplies > 0) {
        failingReplies--;
        return { kind: 'status', status: 500, message: 'the model is overloaded' };
      }
      return triageReply(request);
    });
    server = await startRunningServer({ fakeProvider: fake, clientDir, env: HELD_CALL_ENV });
    api = createCaller(createInnerContext(server.dependencies));
    browser = await launchChromium();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });

    // More chains than one page (25) holds: plain ask() calls (no chain row), one of them starting with entity
    // extraction, and two demo chains: one whose entity step is retried, one whose reply fails.
    for (let index = 0; index < 25; index++) {
      chains.asked.push(
        (await server.dependencies.llm.ask('intent recognition', { ...MESSAGE, subject: `Paging ${index}` })).chainId,
      );
    }
    chains.askedEntities = (await server.dependencies.llm.ask('entity extraction', MESSAGE)).chainId;
    badEntityAnswers = 1;
    chains.retried = (await api.inbox.submit(MESSAGE)).chainId;
    await finished(chains.retried);
    failingReplies = 1;
    chains.failed = (await api.inbox.submit(MESSAGE)).chainId;
    await finished(chains.failed);
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

  /**
   * One attribute of every element with a test id, read in one go: rows re-rendered between listing them and reading
   * each (a locator per row) would leave the read waiting for a row that is gone. A string, as the root tsconfig has no
   * DOM types: runs in the page.
   */
  const attributesOf = (page: Page, testId: string, name: string) =>
    page.evaluate<(string | null)[]>(
      `[...document.querySelectorAll(${JSON.stringify(`[data-testid="${testId}"]`)})].map((element) => element.getAttribute(${JSON.stringify(name)}))`,
    );
  const rowIds = (page: Page) => attributesOf(page, 'chain-row', 'data-chain-id');

  it('lists every chain newest first a page at a time, and filters them by status and name kept in the address', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(server.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chains' }).click();
    await page.waitForURL(/#\/chains$/, WAIT);

    await expect.poll(() => page.getByTestId('chains-page').innerText(), WAIT).toBe('Page 1 · 25 chains');
    const firstPage = await rowIds(page);
    expect(firstPage.slice(0, 3)).toEqual([chains.failed, chains.retried, chains.askedEntities]);
    const retriedRow = page.locator(`[data-chain-id="${chains.retried}"]`);
    expect(await retriedRow.getAttribute('data-status')).toBe('succeeded');
    expect(await retriedRow.getByTestId('chain-calls').innerText()).toBe('3');
    expect(await retriedRow.getByTestId('chain-attempts').innerText()).toBe('4');
    expect(await retriedRow.getByTestId('chain-errors').innerText()).toBe('1');
    await screenshot(page, '1-chains');
    // On a desktop every column is in view: the table does not scroll inside its card (the chain ids were cut).
    const overflow =
      "(() => { const box = document.querySelector('table[aria-label=Chains]').parentElement; return box.scrollWidth - box.clientWidth; })()";
    expect(await page.evaluate<number>(overflow)).toBe(0);

    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByTestId('chains-page').innerText(), WAIT).toBe('Page 2 · 3 chains');
    // 28 chains, newest first: the oldest three ask() chains are on page 2.
    expect(await rowIds(page)).toEqual(chains.asked.slice(0, 3).reverse());
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => rowIds(page), WAIT).toEqual(firstPage);

    await page.getByLabel('Status').click();
    await page.getByRole('option', { name: 'failed' }).click();
    await expect.poll(() => page.url(), WAIT).toMatch(/#\/chains\?status=failed$/);
    await expect.poll(() => rowIds(page), WAIT).toEqual([chains.failed]);
    expect(await page.getByTestId('chain-row').innerText()).toContain('ProviderError');
    await screenshot(page, '2-chains-failed');
    expect(await page.evaluate<number>(ERROR_PAST_ITS_CELL)).toBeLessThanOrEqual(0);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByTestId('chains-page').innerText(), WAIT).toBe('Page 1 · 25 chains');
    await page.getByRole('combobox', { name: 'Name' }).fill('entity extraction');
    await page.getByRole('combobox', { name: 'Name' }).press('Enter');
    await expect.poll(() => page.url(), WAIT).toMatch(/#\/chains\?name=entity(\+|%20)extraction$/);
    await expect.poll(() => rowIds(page), WAIT).toEqual([chains.askedEntities]);
    expect(await page.getByTestId('chain-row').innerText()).toContain('ask() calls');
    // The filter is the address: a reload keeps it.
    await page.reload();
    await expect.poll(() => rowIds(page), WAIT).toEqual([chains.askedEntities]);
    expect(await page.getByRole('combobox', { name: 'Name' }).inputValue()).toBe('entity extraction');

    // On a phone the table scrolls inside its card; the page keeps its width.
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByTestId('chains-page').innerText(), WAIT).toBe('Page 1 · 25 chains');
    await screenshot(page, '2b-chains-phone');
    expect(await page.evaluate<number>(ERROR_PAST_ITS_CELL)).toBeLessThanOrEqual(0);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);

    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('opens a chain from the list on a waterfall of its attempts, retries under their call, on a desktop and a phone', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${server.url}/#/chains?name=support-inbox+triage&status=succeeded`);
    await expect.poll(() => rowIds(page), WAIT).toEqual([chains.retried]);
    await page.getByTestId('chain-row').getByRole('link', { name: 'support-inbox triage' }).click();
    await page.waitForURL(new RegExp(`#/chains/${chains.retried}$`), WAIT);

    // Four attempts, in the order of their calls, the failed first try of entity extraction before its retry.
    const attempts = page.getByTestId('waterfall-attempt');
    await expect.poll(() => attempts.count(), WAIT).toBe(4);
    expect(await attributesOf(page, 'waterfall-attempt', 'data-name')).toEqual([
      'intent recognition',
      'entity extraction',
      'entity extraction',
      'reply drafting',
    ]);
    expect(await attributesOf(page, 'waterfall-attempt', 'data-attempt')).toEqual(['1', '1', '2', '1']);
    expect(await attributesOf(page, 'waterfall-attempt', 'data-status')).toEqual(['ok', 'error', 'ok', 'ok']);
    expect(await attempts.nth(1).innerText()).toContain('OutputValidationError');
    expect(await attempts.nth(2).innerText()).toContain('attempt 2 (retry)');
    // Each bar starts where the one before it ended, or later: the calls ran one after another.
    const boxes = await Promise.all((await page.getByTestId('waterfall-bar').all()).map((bar) => bar.boundingBox()));
    for (let index = 1; index < boxes.length; index++) {
      const previous = boxes[index - 1];
      const current = boxes[index];
      if (!previous || !current) throw new Error('a waterfall bar is not shown');
      expect(current.x, `bar ${index + 1} starts after bar ${index} ends`).toBeGreaterThanOrEqual(
        previous.x + previous.width - 1,
      );
    }
    await screenshot(page, '3-chain-waterfall');

    await page.setViewportSize(PHONE);
    await expect.poll(() => page.getByTestId('waterfall-bar').count(), WAIT).toBe(4);
    // A string, as the root tsconfig has no DOM types: runs in the page.
    await screenshot(page, '4-chain-waterfall-phone');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows a chain submitted elsewhere without a reload, its running attempt growing until it ends', async () => {
    const list = await browser.newPage({ viewport: DESKTOP });
    await list.goto(`${server.url}/#/chains`);
    await expect.poll(() => list.getByTestId('chain-row').count(), WAIT).toBe(25);
    // chains.changes does not replay what it did not hear: a chain seen arriving proves the page is listening.
    const probe = await api.inbox.submit(MESSAGE);
    await expect
      .poll(() => attributesOf(list, 'chain-row', 'data-chain-id').then((ids) => ids[0]), WAIT)
      .toBe(probe.chainId);

    firstStepHeld = new Promise<void>((resolve) => {
      releaseFirstStep = resolve;
    });
    const { chainId } = await api.inbox.submit(MESSAGE);
    await expect.poll(() => attributesOf(list, 'chain-row', 'data-chain-id').then((ids) => ids[0]), WAIT).toBe(chainId);
    const row = list.locator(`[data-chain-id="${chainId}"]`);
    expect(await row.getAttribute('data-status')).toBe('running');

    const chain = await browser.newPage({ viewport: DESKTOP });
    await chain.goto(`${server.url}/#/chains/${chainId}`);
    const bar = chain.getByTestId('waterfall-bar');
    await expect.poll(() => bar.count(), WAIT).toBe(1);
    expect(await chain.getByTestId('waterfall-attempt').getAttribute('data-status')).toBe('pending');
    expect(await chain.getByTestId('waterfall-attempt').getAttribute('data-name')).toBe('intent recognition');
    expect(await chain.getByTestId('waterfall-attempt').innerText()).toContain('running');
    // The axis ends now, and the pending bar reaches it: it spans its whole track.
    const [barBox, trackBox] = await Promise.all([bar.boundingBox(), bar.locator('..').boundingBox()]);
    if (!barBox || !trackBox) throw new Error('the waterfall bar is not shown');
    expect(barBox.x + barBox.width).toBeGreaterThan(trackBox.x + trackBox.width * 0.95);
    await screenshot(chain, '5-chain-running-waterfall');

    releaseFirstStep();
    await expect.poll(() => attributesOf(chain, 'waterfall-attempt', 'data-status'), WAIT).toEqual(['ok', 'ok', 'ok']);
    await expect.poll(() => row.getAttribute('data-status'), WAIT).toBe('succeeded');
    expect(await row.getByTestId('chain-calls').innerText()).toBe('3');
    await Promise.all([list.close(), chain.close()]);
  });
});
