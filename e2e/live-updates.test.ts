import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, type RecordedRequest, startFakeProvider } from '../server/test/fake-provider.js';
import { followChain } from '../server/test/follow-chain.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { createCaller } from '../server/src/routers/app.js';
import { createInnerContext } from '../server/src/trpc/context.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';
import { countCalls } from './trpc-calls.js';

const WAIT = { timeout: 20_000 };
const DESKTOP = { width: 1360, height: 900 };
// Chains run while the tabs stay idle, all at once, as a busy inbox would.
const RUNNING_CHAINS = 5;
// Enough finished chains before the tabs open that the Logs page has a second page (25 rows a page).
const EARLIER_CHAINS = 10;
const STEPS_PER_CHAIN = 3;

const ANSWERS: Record<string, unknown> = {
  intent_recognition: { intent: 'order_status', confidence: 0.9, urgency: 'normal', rationale: 'Asks about A-1042.' },
  entity_extraction: { orderNumbers: ['A-1042'], products: [], people: ['Ann'], dates: [], amounts: [] },
  reply_drafting: { subject: 'Re: A-1042', body: 'On its way.', tone: 'helpful', needsHuman: false },
};
const MESSAGE = { from: 'ann@example.com', subject: 'Order A-1042', body: 'Where is order A-1042? Ann' };

function schemaName(request: RecordedRequest): string {
  const body = request.body as { response_format?: { json_schema?: { name?: string } } };
  return body.response_format?.json_schema?.name ?? '';
}

/** The chain id of each row the Logs table shows, in one evaluate (a string: the root tsconfig has no DOM types). */
const shownChains = (page: Page) =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-testid="log-row"]')].map((row) => row.getAttribute('data-chain-id') ?? '')`,
  );
const shownLogs = (page: Page) =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-testid="log-row"]')].map((row) => row.getAttribute('data-log-id') ?? '')`,
  );

describe('idle Logs tabs while chains run, in Chromium', () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let browser: Browser;
  let clientDir: string;
  let api: ReturnType<typeof createCaller>;
  const earlier: string[] = [];

  async function runChain(): Promise<string> {
    const { chainId } = await api.inbox.submit(MESSAGE);
    await followChain(server.dependencies, chainId, 20_000);
    return chainId;
  }

  beforeAll(async () => {
    clientDir = await builtClient();
    fake = await startFakeProvider();
    fake.respondWith(async (request) => ({ kind: 'json', value: ANSWERS[schemaName(request)] ?? {} }));
    server = await startRunningServer({ fakeProvider: fake, clientDir });
    api = createCaller(createInnerContext(server.dependencies));
    browser = await launchChromium();
    for (let index = 0; index < EARLIER_CHAINS; index++) earlier.push(await runChain());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  async function openLogs(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${server.url}/#/logs${path}`);
    await expect.poll(() => page.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 1 · \d+ rows/);
    return page;
  }

  it('refetches only the pages a running chain can change, and keeps the first page current', async () => {
    const first = await openLogs('');
    const deeper = await openLogs('');
    await deeper.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => deeper.getByTestId('logs-page').innerText(), WAIT).toMatch(/^Page 2 · /);
    const otherChain = await openLogs(`?chainId=${earlier[0]}`);
    await expect.poll(() => shownChains(otherChain), WAIT).toEqual(Array(STEPS_PER_CHAIN).fill(earlier[0]));
    const deeperRows = await shownLogs(deeper);
    const calls = { first: countCalls(first), deeper: countCalls(deeper), otherChain: countCalls(otherChain) };

    const running = await Promise.all(Array.from({ length: RUNNING_CHAINS }, () => runChain()));

    // The first page ends up showing the newest rows, those of the chains that just ran.
    const newest = (await api.logs.list({ limit: 25 })).items.map((item) => item.id);
    await expect.poll(() => shownLogs(first), WAIT).toEqual(newest);
    expect(new Set((await shownChains(first)).slice(0, RUNNING_CHAINS * STEPS_PER_CHAIN))).toEqual(new Set(running));
    // Both pages end up with the new total (asked for less often than the rows).
    const total = `of ${(await api.logs.count()).count.toLocaleString('en-US')}`;
    for (const tab of [first, deeper])
      await expect.poll(() => tab.getByTestId('logs-page').innerText(), WAIT).toMatch(total);
    const figures = Object.fromEntries(
      Object.entries(calls).map(([tab, counted]) => [tab, Object.fromEntries([...counted].sort())]),
    );
    process.stdout.write(`tRPC calls while ${RUNNING_CHAINS} chains ran: ${JSON.stringify(figures)}\n`);

    // A row of a running chain can only land on the first page (newest first): a deeper page asks again for nothing
    // but its total, which every new row changes; a page of another chain asks for nothing at all.
    expect(calls.deeper.get('logs.list')).toBeUndefined();
    expect(calls.deeper.get('logs.facets')).toBeUndefined();
    expect(calls.deeper.get('logs.count') ?? 0).toBeLessThanOrEqual(RUNNING_CHAINS * STEPS_PER_CHAIN);
    expect(await shownLogs(deeper)).toEqual(deeperRows);
    expect(Object.fromEntries(calls.otherChain)).toEqual({});
    // The first page asks again at most once per step that ended (fewer when they end together), and the facets,
    // which gained no task, model or provider, not at all.
    expect(calls.first.get('logs.list') ?? 0).toBeLessThanOrEqual(RUNNING_CHAINS * STEPS_PER_CHAIN);
    expect(calls.first.get('logs.facets')).toBeUndefined();
    await Promise.all([first.close(), deeper.close(), otherChain.close()]);
  });
});
