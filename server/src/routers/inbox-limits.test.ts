import { TRPCClientError, createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { countMessagesAndChains } from '../../test/stored-rows.js';
import type { AppRouter } from './app.js';

// Node 20 has no global WebSocket, so the tRPC client gets the ws class. Its type lacks the DOM-only dispatchEvent that
// the option's type (the global WebSocket of @types/node) names, though tRPC never calls it: widened here, once.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

const MESSAGE = { from: 'ada@example.com', subject: 'Order 1042', body: 'Where is my order? It has not arrived yet.' };
const PER_MINUTE = 3;
/** One submission every 60 / PER_MINUTE seconds once the burst is spent. */
const SECONDS_PER_SUBMISSION = 60 / PER_MINUTE;

/** A batch's answers: each call's result, or its error. */
const batchAnswersSchema = z.array(
  z.union([
    z.object({ error: z.object({ message: z.string(), data: z.object({ code: z.string() }) }) }),
    z.object({ result: z.unknown() }),
  ]),
);

function submit(running: RunningServer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${running.url}/trpc/inbox.submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(MESSAGE),
  });
}

describe('the submissions per address and minute bound', () => {
  let running: RunningServer;
  let nowMs = Date.parse('2026-12-01T12:00:00Z');
  beforeAll(async () => {
    running = await startRunningServer({
      limits: { maxSubmissionsPerMinute: PER_MINUTE, trustProxy: true },
      now: () => nowMs,
    });
  });
  // A minute later every allowance is full again, so each test starts from a fresh one.
  beforeEach(() => {
    nowMs += 60_000;
  });
  afterAll(() => running.close());

  it('refuses the submission past the limit with 429 TOO_MANY_REQUESTS and retry-after, and takes one again when that time has passed', async () => {
    for (let index = 0; index < PER_MINUTE; index++) expect((await submit(running)).status).toBe(200);
    const before = await countMessagesAndChains(running.dependencies.db);

    const refused = await submit(running);

    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(SECONDS_PER_SUBMISSION));
    expect(await refused.json()).toMatchObject({
      error: {
        message: `too many submissions from 127.0.0.1; try again in ${SECONDS_PER_SUBMISSION} s`,
        data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfterSeconds: SECONDS_PER_SUBMISSION },
      },
    });
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual(before);

    nowMs += SECONDS_PER_SUBMISSION * 1_000 - 1;
    const early = await submit(running);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    nowMs += 1;
    expect((await submit(running)).status).toBe(200);
  });

  it('does not count an invalid submission (BAD_REQUEST) against the allowance', async () => {
    const invalid = { ...MESSAGE, body: '' };
    for (let index = 0; index < PER_MINUTE + 1; index++) {
      const refused = await fetch(`${running.url}/trpc/inbox.submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(invalid),
      });
      expect(refused.status).toBe(400);
    }

    for (let index = 0; index < PER_MINUTE; index++) expect((await submit(running)).status).toBe(200);
  });

  it('counts each address on its own, taken from X-Forwarded-For when the proxy is trusted', async () => {
    const first = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' };
    for (let index = 0; index < PER_MINUTE; index++) expect((await submit(running, first)).status).toBe(200);
    expect((await submit(running, first)).status).toBe(429);

    // Only the last entry counts (our proxy appended it): what the client wrote before it is not an address.
    expect((await submit(running, { 'x-forwarded-for': '198.51.100.2, 203.0.113.7' })).status).toBe(429);
    expect((await submit(running, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
    expect((await submit(running)).status).toBe(200);
  });

  it('over a WebSocket, gives the seconds to wait in error.data.retryAfterSeconds', async () => {
    const wsClient = createWSClient({ url: running.wsUrl, WebSocket: NodeWebSocket });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      for (let index = 0; index < PER_MINUTE; index++) await client.inbox.submit.mutate(MESSAGE);

      const error: unknown = await client.inbox.submit.mutate(MESSAGE).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error).toMatchObject({ data: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: SECONDS_PER_SUBMISSION } });
    } finally {
      await wsClient.close();
    }
  });
});

describe('the chain queue bound', () => {
  const MAX_WAITING = 2;
  let fake: FakeProvider;
  let running: RunningServer;
  beforeAll(async () => {
    // Every model call hangs, so the one chain that may run keeps running and the others wait.
    fake = await startFakeProvider({ respond: () => ({ kind: 'hang' }) });
    running = await startRunningServer({
      fakeProvider: fake,
      maxRunningChains: 1,
      limits: { maxWaitingChains: MAX_WAITING },
    });
  });
  afterAll(async () => {
    await running.close(500);
    await fake.close();
  });

  it('takes one running and two waiting chains of six sent at once, refuses the rest with TOO_MANY_REQUESTS and stores nothing for them', async () => {
    const before = await countMessagesAndChains(running.dependencies.db);

    // One batch: its six calls run side by side, each checking the queue while the others store their rows.
    const paths = Array.from({ length: 6 }, () => 'inbox.submit').join(',');
    const inputs = Object.fromEntries(Array.from({ length: 6 }, (_, index) => [index, MESSAGE]));
    const response = await fetch(`${running.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inputs),
    });

    const answers = batchAnswersSchema.parse(await response.json());
    const refusals = answers.flatMap((answer) => ('error' in answer ? [answer.error] : []));
    expect(answers).toHaveLength(6);
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({
        message: `${MAX_WAITING} chains are already waiting to start, the most this server queues; try again shortly`,
        data: { code: 'TOO_MANY_REQUESTS' },
      });
    }
    expect(await countMessagesAndChains(running.dependencies.db)).toEqual({
      messages: before.messages + 3,
      chains: before.chains + 3,
    });
    expect(await running.dependencies.chains.counts()).toEqual({ running: 1, waiting: MAX_WAITING });
  });

  it('tells a submission refused for a full queue when to come back: retry-after, and data.retryAfterSeconds', async () => {
    expect(await running.dependencies.chains.counts()).toEqual({ running: 1, waiting: MAX_WAITING });

    const refused = await submit(running);

    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await refused.json()).toMatchObject({
      error: { data: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: Number(refused.headers.get('retry-after')) } },
    });
  });
});
