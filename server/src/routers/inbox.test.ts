import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider.js';
import { eventSequence, followChain } from '../../test/follow-chain.js';
import { chainRows, fakeProviderEnv } from '../../test/llm-harness.js';
import { openRawSocket } from '../../test/raw-http.js';
import { OWN_CHAINS_ONLY } from '../../test/own-chains-only.js';
import { type RunningServer, startRunningServer } from '../../test/running-server.js';
import { openTestDatabase } from '../../test/test-database.js';
import { ReplyGate, TRIAGE_ANSWERS } from '../../test/triage-replies.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogWriterFor } from '../db/inference-log-writer.js';
import { parseEnv } from '../env.js';
import { createLlm } from '../llm/ask.js';
import { buildLlmSettings } from '../llm/settings.js';
import { TASKS } from '../tasks/index.js';
import { type Context, createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ORDER_MESSAGE = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Hi, where is my order #A-1042? It has not arrived yet.\n\nThanks,\nAda',
};
const TRIAGE_STEPS = ['intent recognition', 'entity extraction', 'reply drafting'];

describe('the inbox procedures', () => {
  let database: DatabaseHandle;
  let fake: FakeProvider;
  /** Every task on the offline provider. */
  let offline: Context;
  /** Every task on the fake provider, through the real OpenAI SDK. */
  let viaFake: Context;

  beforeAll(async () => {
    [database, fake] = await Promise.all([openTestDatabase(), startFakeProvider()]);
    const logWriter = createLogWriterFor(database);
    const offlineLlm = createLlm({
      db: database.db,
      settings: buildLlmSettings(parseEnv({})),
      tasks: TASKS,
      logWriter,
    });
    const fakeSettings = buildLlmSettings(fakeProviderEnv(fake, { CHAINLOG_LLM_MAX_RETRIES: 0 }));
    const fakeLlm = createLlm({ db: database.db, settings: fakeSettings, tasks: TASKS, logWriter });
    offline = createInnerContext(
      await createAppDependencies({ database, llm: offlineLlm, maxRunningChains: 4, ...OWN_CHAINS_ONLY }),
    );
    viaFake = createInnerContext(
      await createAppDependencies({ database, llm: fakeLlm, maxRunningChains: 4, ...OWN_CHAINS_ONLY }),
    );
  });
  afterEach(() => {
    fake.reset();
  });
  afterAll(async () => {
    await Promise.all([offline.chains.drain(5_000), viaFake.chains.drain(5_000)]);
    await Promise.all([fake.close(), database.close()]);
  });

  it('submit returns the chain and message ids at once, while the chain still waits on its first model call', async () => {
    const gate = new ReplyGate();
    fake.respondWith(gate.respond);
    const caller = createCaller(viaFake);

    const submitted = await caller.inbox.submit(ORDER_MESSAGE);

    expect(submitted).toEqual({ chainId: expect.stringMatching(UUID_V7), messageId: expect.stringMatching(UUID_V7) });
    const firstCall = await gate.next();
    expect(firstCall.request.body).toMatchObject({
      model: 'gpt-4.1-mini',
      response_format: { json_schema: { name: 'intent_recognition' } },
    });
    const running = await caller.chains.get({ chainId: submitted.chainId });
    expect(running.chain.status).toBe('running');
    expect(running.steps).toEqual([
      expect.objectContaining({ step: 1, name: 'intent recognition', status: 'running' }),
    ]);
    const listed = await caller.inbox.list({ limit: 1 });
    expect(listed.items[0]).toMatchObject({
      id: submitted.messageId,
      chainId: submitted.chainId,
      chainStatus: 'running',
      intent: null,
    });

    firstCall.release();
    await gate.releaseNext();
    await gate.releaseNext();
    const events = await followChain(viaFake, submitted.chainId);

    expect(events.at(-1)?.payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });
    const finished = await caller.chains.get({ chainId: submitted.chainId });
    expect(finished.domain.triages).toEqual([
      expect.objectContaining({ intent: 'order_status', entities: TRIAGE_ANSWERS.entity_extraction }),
    ]);
    expect(finished.domain.replyDrafts).toEqual([
      expect.objectContaining({ body: TRIAGE_ANSWERS.reply_drafting.body }),
    ]);
  });

  it('runs the triage chain of a "where is my order #A-1042" message: three ok log rows, the message, a triage and a reply draft, all under one chain id', async () => {
    const caller = createCaller(offline);

    const { chainId, messageId } = await caller.inbox.submit(ORDER_MESSAGE);
    const events = await followChain(offline, chainId);

    expect(eventSequence(events)).toEqual([
      'chain_started',
      'step_started 1',
      'step_finished 1',
      'step_started 2',
      'step_finished 2',
      'step_started 3',
      'step_finished 3',
      'chain_finished',
    ]);
    expect(events.at(-1)?.payload).toEqual({ type: 'chain_finished', status: 'succeeded', error: null });

    const logs = await chainRows(database.db, chainId);
    expect(logs.map((row) => [row.name, row.status, row.chain_id])).toEqual(
      TRIAGE_STEPS.map((name) => [name, 'ok', chainId]),
    );

    const db = database.db;
    const messages = await db.selectFrom('inbox_message').selectAll().where('chain_id', '=', chainId).execute();
    const triages = await db.selectFrom('triage').selectAll().where('chain_id', '=', chainId).execute();
    const drafts = await db.selectFrom('reply_draft').selectAll().where('chain_id', '=', chainId).execute();
    expect(messages).toEqual([
      expect.objectContaining({
        id: messageId,
        chain_id: chainId,
        from_address: ORDER_MESSAGE.from,
        subject: ORDER_MESSAGE.subject,
        body: ORDER_MESSAGE.body,
      }),
    ]);
    expect(triages).toEqual([
      expect.objectContaining({ chain_id: chainId, message_id: messageId, intent: 'order_status', urgency: 'normal' }),
    ]);
    expect(triages[0]?.entities).toMatchObject({ orderNumbers: ['A-1042'], people: ['Ada'] });
    expect(drafts).toEqual([
      expect.objectContaining({
        chain_id: chainId,
        message_id: messageId,
        subject: 'Re: Where is my order?',
        tone: 'helpful',
        needs_human: false,
      }),
    ]);
    expect(drafts[0]?.body).toMatch(/^Hi Ada,/);
    expect(drafts[0]?.body).toContain('order A-1042');
  });

  it('lists messages newest first with their chain status and triage, a page at a time through nextCursor', async () => {
    const caller = createCaller(offline);
    const submitted: { chainId: string; messageId: string }[] = [];
    for (const subject of ['first', 'second', 'third'])
      submitted.push(await caller.inbox.submit({ ...ORDER_MESSAGE, subject }));
    await Promise.all(submitted.map(({ chainId }) => followChain(offline, chainId)));

    const firstPage = await caller.inbox.list({ limit: 2 });
    const secondPage = await caller.inbox.list({ limit: 2, cursor: firstPage.nextCursor });

    const newestFirst = submitted.map(({ messageId }) => messageId).reverse();
    expect(firstPage.items.map((item) => item.id)).toEqual(newestFirst.slice(0, 2));
    expect(firstPage.nextCursor).toBe(newestFirst[1]);
    expect(secondPage.items[0]?.id).toBe(newestFirst[2]);
    expect(firstPage.items[0]).toEqual({
      id: newestFirst[0],
      chainId: submitted[2]?.chainId,
      from: ORDER_MESSAGE.from,
      subject: 'third',
      body: ORDER_MESSAGE.body,
      createdAt: expect.any(String),
      chainStatus: 'succeeded',
      intent: 'order_status',
      urgency: 'normal',
    });

    // The whole inbox, page by page: each id once, newest first, and the last page says there is no next one.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.inbox.list>> = await caller.inbox.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(seen.slice(0, 3)).toEqual(newestFirst);
  });

  it('rejects a message with a blank sender and body with BAD_REQUEST caused by the zod error, and stores nothing', async () => {
    const caller = createCaller(offline);
    const countMessages = async () =>
      (
        await database.db
          .selectFrom('inbox_message')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow()
      ).count;
    const before = Number(await countMessages());

    const error: unknown = await caller.inbox
      .submit({ from: '  ', subject: 'Hello', body: '' })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', cause: expect.any(ZodError) });
    const issues = error instanceof TRPCError && error.cause instanceof ZodError ? error.cause.issues : [];
    expect(issues.map((issue) => issue.path)).toEqual([['from'], ['body']]);
    expect(Number(await countMessages())).toBe(before);
  });

  it.each(['ada', 'ada@', 'ada lee@example.com'])(
    'refuses %j as the sender with BAD_REQUEST asking for an address, and takes one in any script',
    async (from) => {
      const error: unknown = await createCaller(offline)
        .inbox.submit({ ...ORDER_MESSAGE, from })
        .catch((caught: unknown) => caught);

      expect(error).toMatchObject({ code: 'BAD_REQUEST', cause: expect.any(ZodError) });
      const issues = error instanceof TRPCError && error.cause instanceof ZodError ? error.cause.issues : [];
      expect(issues.map(({ path, message }) => ({ path, message }))).toEqual([
        { path: ['from'], message: 'Enter an email address, like ann@example.com' },
      ]);
      const accepted = await createCaller(offline).inbox.submit({
        ...ORDER_MESSAGE,
        from: ' jörg.müller@beispiel.de ',
      });
      expect(accepted.chainId).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it.each([
    ['a NUL character', 'before\u0000after'],
    ['a lone high surrogate', 'before\ud800after'],
    ['a lone low surrogate', 'before\udc00after'],
  ])('refuses a message containing %s with BAD_REQUEST, which PostgreSQL could not store', async (_what, text) => {
    for (const field of ['from', 'subject', 'body'] as const) {
      const error: unknown = await createCaller(offline)
        .inbox.submit({ ...ORDER_MESSAGE, [field]: text })
        .catch((caught: unknown) => caught);

      expect(error, field).toMatchObject({ code: 'BAD_REQUEST', cause: expect.any(ZodError) });
      const issues = error instanceof TRPCError && error.cause instanceof ZodError ? error.cause.issues : [];
      expect(
        issues.map((issue) => issue.path),
        field,
      ).toEqual([[field]]);
    }
  });

  it('answers SERVICE_UNAVAILABLE once the server is shutting down, and stores nothing', async () => {
    const shuttingDown = createInnerContext(
      await createAppDependencies({ database, llm: offline.llm, maxRunningChains: 1, ...OWN_CHAINS_ONLY }),
    );
    await shuttingDown.chains.drain(1_000);
    const sender = `late-${Date.now()}@example.com`;

    const error: unknown = await createCaller(shuttingDown)
      .inbox.submit({ ...ORDER_MESSAGE, from: sender })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('shutting down') });
    const stored = await database.db
      .selectFrom('inbox_message')
      .select('id')
      .where('from_address', '=', sender)
      .execute();
    expect(stored).toEqual([]);
  });
});

describe('inbox.submit over HTTP', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startRunningServer();
  });
  afterAll(() => running.close());

  it('answers invalid input with 400 and BAD_REQUEST whose data carries the zod issues naming each bad field', async () => {
    const response = await fetch(`${running.url}/trpc/inbox.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '', body: 'x'.repeat(20_001) }),
    });

    expect(response.status).toBe(400);
    const answer: unknown = await response.json();
    expect(answer).toEqual({
      error: {
        message: expect.any(String),
        code: -32600,
        data: {
          code: 'BAD_REQUEST',
          httpStatus: 400,
          path: 'inbox.submit',
          issues: [
            expect.objectContaining({ path: ['from'], code: 'too_small' }),
            expect.objectContaining({ path: ['body'], code: 'too_big' }),
          ],
        },
      },
    });
  });

  // JSON carries a lone surrogate as the escape \ud800; stored as it came, jsonb would refuse it (a 500 before).
  it('answers a lone surrogate in from, subject or body with 400 and BAD_REQUEST naming the field', async () => {
    for (const field of ['from', 'subject', 'body'] as const) {
      const response = await fetch(`${running.url}/trpc/inbox.submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...ORDER_MESSAGE, [field]: 'half a character: \ud800' }),
      });

      expect(response.status, field).toBe(400);
      expect(await response.json(), field).toMatchObject({
        error: {
          data: {
            code: 'BAD_REQUEST',
            issues: [
              expect.objectContaining({ path: [field], message: expect.stringContaining('lone UTF-16 surrogate') }),
            ],
          },
        },
      });
    }
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it('answers a lone surrogate over a WebSocket with BAD_REQUEST naming the field, and the socket stays open', async () => {
    const outcome = await openRawSocket(running.wsUrl);
    if (!('opened' in outcome)) throw new Error(`the upgrade was refused with ${outcome.refused.status}`);
    try {
      const fields = ['from', 'subject', 'body'] as const;
      fields.forEach((field, index) => {
        const input = { ...ORDER_MESSAGE, [field]: 'half a character: \udfff' };
        outcome.opened.send(
          JSON.stringify({ id: index + 1, method: 'mutation', params: { path: 'inbox.submit', input } }),
        );
      });
      outcome.opened.send(JSON.stringify({ id: 99, method: 'query', params: { path: 'health', input: null } }));
      await expect.poll(() => outcome.messages.length, { timeout: 5_000 }).toBe(fields.length + 1);

      const answers: unknown[] = outcome.messages.map((message) => JSON.parse(message));
      for (const [index, field] of fields.entries()) {
        expect(answers, field).toContainEqual({
          id: index + 1,
          error: expect.objectContaining({
            data: expect.objectContaining({
              code: 'BAD_REQUEST',
              issues: [expect.objectContaining({ path: [field] })],
            }),
          }),
        });
      }
      expect(answers).toContainEqual(
        expect.objectContaining({ id: 99, result: { type: 'data', data: expect.objectContaining({ status: 'ok' }) } }),
      );
    } finally {
      outcome.opened.terminate();
    }
  });
});
