import { TRPCError } from '@trpc/server';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/test-database.js';
import { createAppDependencies } from '../app-dependencies.js';
import type { DatabaseHandle } from '../db/client.js';
import { newChainId } from '../llm/chain-context.js';
import { createInnerContext } from '../trpc/context.js';
import { createCaller } from './app.js';
import { offlineLlm } from '../../test/offline-llm.js';

type Caller = ReturnType<typeof createCaller>;

let database: DatabaseHandle;
let caller: Caller;
const chainId = newChainId();
let clock = Date.parse('2026-03-01T09:00:00.000Z');

interface Row {
  system?: string;
  user: string;
  output?: unknown;
  latencyMs?: number | null;
  costUsd?: string | null;
}

/** A log row of this file's chain with these prompts and output; ids follow the order of the calls. */
async function store(row: Row): Promise<string> {
  clock += 1_000;
  const id = uuidv7({ msecs: clock });
  await database.db
    .insertInto('inference_log')
    .values({
      id,
      chain_id: chainId,
      name: 'intent recognition',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      status: 'ok',
      attempt: 1,
      request: JSON.stringify({
        messages: [
          { role: 'system', content: row.system ?? 'Classify the message.' },
          { role: 'user', content: row.user },
        ],
        // The output schema goes with every request: its words must not make every row match.
        output: {
          name: 'intent_recognition',
          schema: { type: 'object', properties: { intent: { description: 'the customer wants a shipment tracked' } } },
        },
      }),
      output: row.output === undefined ? null : JSON.stringify(row.output),
      latency_ms: row.latencyMs === undefined ? 500 : row.latencyMs,
      cost_usd: row.costUsd === undefined ? '0.00010000' : row.costUsd,
      created_at: new Date(clock),
    })
    .execute();
  return id;
}

const rows: Record<string, string> = {};

beforeAll(async () => {
  database = await openTestDatabase();
  const llm = offlineLlm(database);
  caller = createCaller(createInnerContext(await createAppDependencies({ database, llm, maxRunningChains: 1 })));
  rows.refund = await store({
    user: 'I was charged twice and want my money refunded.',
    output: { intent: 'billing', confidence: 0.93 },
    latencyMs: 1_200,
    costUsd: '0.00250000',
  });
  rows.blender = await store({
    user: 'The blender arrived broken.',
    output: { intent: 'complaint', orderNumbers: ['A-7731'] },
    latencyMs: 3_000,
    costUsd: '0.00090000',
  });
  rows.refundOutput = await store({
    user: 'Where is my parcel?',
    output: { intent: 'refund', note: 'Refunding is policy for late parcels' },
    latencyMs: 800,
    costUsd: '0.00100000',
  });
  rows.systemPrompt = await store({
    system: 'You triage messages about refunds.',
    user: 'Hello there',
    output: null,
    latencyMs: null,
    costUsd: null,
  });
  rows.number = await store({
    user: 'A question',
    output: { orderNumber: 4242, intent: 'other' },
    latencyMs: 500,
    costUsd: '0.00000100',
  });
  // What the parser reads as one token (an email address, a URL, a decimal, a version) or skips (HTML's tags, and what
  // <script> and <style> hold); the latency and cost tests below leave these rows out with their bounds.
  rows.joined = await store({
    user: [
      'From zhang.wei@example.com: my order page https://shop.example.com/orders/B-5150?ref=mail_x says nothing.',
      '<a href="https://track.example.net/p/99">status</a> <script src="x.js">alert(lost)</script>',
      '<style>.voucher{color:red}</style> Using app v2.0.1.',
    ].join('\n'),
    output: { intent: 'shipping', confidence: 0.87 },
    latencyMs: null,
    costUsd: null,
  });
  rows.otherDomain = await store({
    user: 'Write to ann@example.org about the refund.',
    output: { intent: 'billing', note: 'Refund of $12.50 approved', a: 'mail ruth', b: 'example.com' },
    latencyMs: null,
    costUsd: null,
  });
});
afterAll(() => database.close());

const idsOf = async (input: Parameters<Caller['logs']['list']>[0]) =>
  (await caller.logs.list({ ...input, chainId })).items.map((item) => item.id);
/** Which of the two rows of addresses, URLs, numbers and HTML `q` finds. */
const found = async (q: string) => (await idsOf({ q })).filter((id) => id === rows.joined || id === rows.otherDomain);

describe('logs.list full-text search (q)', () => {
  it('finds words in the prompts and the output, by their stem, newest first', async () => {
    // refunded, refund, Refunding, refunds: one stem.
    expect(await idsOf({ q: 'refund' })).toEqual([rows.otherDomain, rows.systemPrompt, rows.refundOutput, rows.refund]);
    expect(await idsOf({ q: 'broken blenders' })).toEqual([rows.blender]);
    // A number in the output, and an order number in an array of it.
    expect(await idsOf({ q: '4242' })).toEqual([rows.number]);
    expect(await idsOf({ q: 'A-7731' })).toEqual([rows.blender]);
  });

  it('finds the words an email address, a URL, a number, a version or HTML is made of, and each whole', async () => {
    // An address: its name, its domain, the whole; the parts in another order are another address.
    expect(await found('zhang')).toEqual([rows.joined]);
    expect(await found('zhang.wei@example.com')).toEqual([rows.joined]);
    expect(await found('wei.zhang@example.com')).toEqual([]);
    expect(await found('example.org')).toEqual([rows.otherDomain]);
    expect(await found('example')).toEqual([rows.otherDomain, rows.joined]);
    // A URL: its host, a word of its path, the order number in it with or without its letter, the whole.
    expect(await found('shop.example.com')).toEqual([rows.joined]);
    expect(await found('orders')).toEqual([rows.joined]);
    expect(await found('5150')).toEqual([rows.joined]);
    expect(await found('B-5150')).toEqual([rows.joined]);
    expect(await found('https://shop.example.com/orders/B-5150')).toEqual([rows.joined]);
    // HTML: a link's address, what a script and a style hold.
    expect(await found('track.example.net')).toEqual([rows.joined]);
    expect(await found('lost')).toEqual([rows.joined]);
    expect(await found('voucher')).toEqual([rows.joined]);
    // Numbers with a point, in the output and in the text, and a version.
    expect(await found('0.87')).toEqual([rows.joined]);
    expect(await found('87')).toEqual([rows.joined]);
    expect(await found('12.50')).toEqual([rows.otherDomain]);
    expect(await found('v2.0.1')).toEqual([rows.joined]);
    expect(await found('v2.1.0')).toEqual([]);
    // A phrase never spans two strings: "mail ruth" and "example.com" are two values of the output, next to each other
    // (jsonb orders keys by length, then bytes); "Classify the message." and "Write to…" two messages.
    expect(await found('ruth@example.com')).toEqual([]);
    expect(await found('"message write"')).toEqual([]);
    expect(await found('"mail ruth"')).toEqual([rows.otherDomain]);
  });

  it('writes and finds a row whose text is past what one tsvector holds (1 MB of words)', async () => {
    // 40,000 distinct words in a script: 1.5 MB of lexemes, an error ("string is too long for tsvector") for a
    // document that reads all of it, which would fail the insert.
    const words = Array.from(
      { length: 40_000 },
      (_, index) => `var v${index.toString(36).padStart(6, 'q')}${'x'.repeat(24)} = 1;`,
    );
    const id = await store({ user: `Urgent: <script>${words.join(' ')}</script>`, latencyMs: null, costUsd: null });
    expect(await idsOf({ q: 'urgent' })).toEqual([id]);
    await database.db.deleteFrom('inference_log').where('id', '=', id).execute();
  });

  it('keeps the web search syntax for such terms: in a phrase, after or, and after a -', async () => {
    expect(await found('"page https://shop.example.com/orders"')).toEqual([rows.joined]);
    expect(await found('"order https://shop.example.com/orders"')).toEqual([]);
    expect(await found('zhang.wei@example.com or ann@example.org')).toEqual([rows.otherDomain, rows.joined]);
    expect(await found('example -example.org')).toEqual([rows.joined]);
    expect(await found('-zhang.wei@example.com refund')).toEqual([rows.otherDomain]);
  });

  it('reads web search syntax: "a phrase", or, and -word', async () => {
    expect(await idsOf({ q: '"charged twice"' })).toEqual([rows.refund]);
    expect(await idsOf({ q: '"twice charged"' })).toEqual([]);
    expect(await idsOf({ q: 'blender or parcel' })).toEqual([rows.refundOutput, rows.blender]);
    expect(await idsOf({ q: 'refund -parcel' })).toEqual([rows.otherDomain, rows.systemPrompt, rows.refund]);
  });

  it('leaves out the output schema sent with every request, and keys of the output', async () => {
    expect(await idsOf({ q: 'shipment tracked' })).toEqual([]);
    expect(await idsOf({ q: 'confidence' })).toEqual([]);
  });

  it('matches nothing for stop words alone or unknown words, and pages through matches with the cursor', async () => {
    expect(await idsOf({ q: 'the and of' })).toEqual([]);
    expect(await idsOf({ q: 'zebra' })).toEqual([]);
    const first = await caller.logs.list({ chainId, q: 'refund', limit: 3 });
    expect(first.items.map((item) => item.id)).toEqual([rows.otherDomain, rows.systemPrompt, rows.refundOutput]);
    const second = await caller.logs.list({ chainId, q: 'refund', limit: 3, cursor: first.nextCursor });
    expect(second).toMatchObject({ items: [{ id: rows.refund }], nextCursor: null });
  });
});

describe('logs.list latency and cost filters', () => {
  it('keeps rows within the latency bounds, both inclusive, and leaves out rows without a latency', async () => {
    expect(await idsOf({ minLatencyMs: 1_200 })).toEqual([rows.blender, rows.refund]);
    expect(await idsOf({ maxLatencyMs: 800 })).toEqual([rows.number, rows.refundOutput]);
    expect(await idsOf({ minLatencyMs: 800, maxLatencyMs: 1_200 })).toEqual([rows.refundOutput, rows.refund]);
    expect(await idsOf({ minLatencyMs: 0 })).not.toContain(rows.systemPrompt);
  });

  it('keeps rows costing at least the minimum, compared exactly, and combines with search', async () => {
    expect(await idsOf({ minCostUsd: 0.001 })).toEqual([rows.refundOutput, rows.refund]);
    expect(await idsOf({ minCostUsd: 0.0000001 })).toEqual([rows.number, rows.refundOutput, rows.blender, rows.refund]);
    expect(await idsOf({ q: 'refund', minCostUsd: 0.002, maxLatencyMs: 2_000 })).toEqual([rows.refund]);
  });

  it("takes bounds as decimal text too, as the export's query parameters carry them", async () => {
    expect(
      await idsOf({ minLatencyMs: '1200' as unknown as number, minCostUsd: '0.0025' as unknown as number }),
    ).toEqual([rows.refund]);
  });

  it.each([
    ['a negative latency', { minLatencyMs: -1 }],
    ['a latency past a day', { maxLatencyMs: 86_400_001 }],
    ['an exponent in text', { minLatencyMs: '1e3' }],
    ['a signed text', { minCostUsd: '-0' }],
    ['an empty text', { minCostUsd: '' }],
    ['an empty search', { q: '   ' }],
    ['a search past 500 characters', { q: 'refund '.repeat(80) }],
    ['a NUL in the search', { q: 'refund\u0000' }],
  ])('refuses %s with BAD_REQUEST', async (_what, input) => {
    await expect(caller.logs.list(input as never)).rejects.toSatisfy(
      (error) => error instanceof TRPCError && error.code === 'BAD_REQUEST',
    );
  });
});
