import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../server/src/routers/app.js';
import { createInnerContext } from '../server/src/trpc/context.js';
import { type FakeProvider, startFakeProvider } from '../server/test/fake-provider.js';
import { followChain } from '../server/test/follow-chain.js';
import { type RunningServer, startRunningServer } from '../server/test/running-server.js';
import { schemaNameOf, triageReply } from '../server/test/triage-replies.js';
import { launchChromium } from './browser.js';
import { builtClient } from './build-client.js';
import { HELD_CALL_ENV } from './held-call-env.js';

const WAIT = { timeout: 15_000 };
const MESSAGE = { from: 'ann@example.com', subject: 'Order A-1042', body: 'Where is order A-1042?' };

describe('a chain page opened while its chain waits in the queue, in Chromium', () => {
  let fake: FakeProvider;
  let server: RunningServer;
  let browser: Browser;
  // Each first step waits for the hold that was current when its call reached the fake.
  const holds: (() => void)[] = [];
  let held: Promise<void> = Promise.resolve();
  function hold(): void {
    held = new Promise<void>((resolve) => holds.push(resolve));
  }

  beforeAll(async () => {
    const clientDir = await builtClient();
    fake = await startFakeProvider();
    fake.respondWith(async (request) => {
      if (schemaNameOf(request) === 'intent_recognition') await held;
      return triageReply(request);
    });
    // One chain at a time: the second waits in the queue while the first is held.
    server = await startRunningServer({ fakeProvider: fake, clientDir, env: HELD_CALL_ENV, maxRunningChains: 1 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const release of holds) release();
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  it("shows its first call, pending, once it starts, though the page's first snapshot had no call", async () => {
    const api = createCaller(createInnerContext(server.dependencies));
    hold();
    const first = await api.inbox.submit(MESSAGE);
    await expect.poll(() => fake.requests.length, WAIT).toBe(1);
    const queued = await api.inbox.submit(MESSAGE);
    const page = await browser.newPage();
    await page.goto(`${server.url}/#/chains/${queued.chainId}`);
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('running');
    expect(await page.getByTestId('chain-log-link').count()).toBe(0);

    // The queued chain starts once the first is let go; its own first call is held, pending, by a new hold.
    const releaseFirst = holds[0];
    hold();
    releaseFirst?.();
    await followChain(server.dependencies, first.chainId);

    await expect.poll(() => page.getByTestId('chain-log-link').count(), WAIT).toBe(1);
    const link = page.getByTestId('chain-log-link');
    expect(await link.innerText()).toContain('intent recognition');
    expect(await link.locator('[data-status]').getAttribute('data-status')).toBe('pending');
    holds[1]?.();
    await expect.poll(() => page.getByTestId('chain-status').getAttribute('data-status'), WAIT).toBe('succeeded');
    await expect.poll(() => page.getByTestId('chain-log-link').count(), WAIT).toBe(3);
    await page.close();
  });
});
