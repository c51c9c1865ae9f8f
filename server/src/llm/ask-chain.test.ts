import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainRows, messagesOf, useLlmHarness } from '../../test/llm-harness.js';
import type { FakeReply, RecordedRequest } from '../../test/fake-provider.js';
import type { Llm } from './ask.js';
import { newChainId, runInChain } from './chain-context.js';
import { defineTask } from './task.js';

const stepTask = defineTask({
  name: 'chain step (chain test)',
  input: z.object({ text: z.string() }),
  output: z.object({ echo: z.string() }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const harness = useLlmHarness();
let llm: Llm<readonly [typeof stepTask]>;

/** Answers every request with the text of its last message, so each row shows which call it belongs to. */
function echo(request: RecordedRequest): FakeReply {
  return { kind: 'json', value: { echo: messagesOf(request.body).at(-1)?.content ?? '' } };
}

beforeAll(() => {
  llm = harness.createLlm({ tasks: [stepTask] });
});

/** A step of some workflow, several awaits away from where the chain was started. */
async function summariseThenClassify(text: string): Promise<string[]> {
  await Promise.resolve();
  const first = await llm.ask(stepTask, { text: `summarise ${text}` });
  await new Promise<void>((resolve) => setImmediate(resolve));
  const second = await classify(first.output.echo);
  return [first.chainId, second];
}

async function classify(text: string): Promise<string> {
  await Promise.resolve();
  const result = await llm.ask(stepTask, { text: `classify ${text}` });
  return result.chainId;
}

describe('ask() chains', () => {
  it('joins a chain when a call passes the chainId of an earlier one: two complete rows, one chain_id', async () => {
    harness.fake.respondWith(echo);

    const first = await llm.ask(stepTask, { text: 'first step' });
    const second = await llm.ask(stepTask, { text: 'second step' }, { chainId: first.chainId });

    expect(second.chainId).toBe(first.chainId);
    const rows = await chainRows(harness.db, first.chainId);
    expect(rows.map((row) => [row.id, row.status, row.output])).toEqual([
      [first.logId, 'ok', { echo: 'first step' }],
      [second.logId, 'ok', { echo: 'second step' }],
    ]);
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
    const { rows: counts } = await sql<{ chain_id: string; count: number }>`
      select chain_id, count(*)::int as count from inference_log where chain_id = ${first.chainId} group by chain_id
    `.execute(harness.db);
    expect(counts).toEqual([{ chain_id: first.chainId, count: 2 }]);
  });

  it('starts a new chain with a UUID v7, so chain ids of successive calls sort by time', async () => {
    harness.fake.respondWith(echo);

    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) ids.push((await llm.ask(stepTask, { text })).chainId);

    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual(ids);
  });

  it('makes asks nested several awaits deep under runInChain join the chain of the context', async () => {
    harness.fake.respondWith(echo);
    const chainId = newChainId();

    const seen = await runInChain(chainId, () => summariseThenClassify('the refund email'));

    expect(seen).toEqual([chainId, chainId]);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => row.output)).toEqual([
      { echo: 'summarise the refund email' },
      { echo: 'classify summarise the refund email' },
    ]);
  });

  it('starts a chain of its own when runInChain gets no id, and every ask inside joins it', async () => {
    harness.fake.respondWith(echo);

    const { started, seen } = await runInChain(undefined, async (started) => ({
      started,
      seen: await summariseThenClassify('x'),
    }));

    expect(started).toMatch(UUID_V7);
    expect(seen).toEqual([started, started]);
    expect(await chainRows(harness.db, started)).toHaveLength(2);
  });

  it('lets an explicit chainId win over the chain of the context', async () => {
    harness.fake.respondWith(echo);
    const contextChain = newChainId();
    const explicitChain = newChainId();

    const result = await runInChain(contextChain, async () => {
      await llm.ask(stepTask, { text: 'in the context chain' });
      return llm.ask(stepTask, { text: 'in the explicit chain' }, { chainId: explicitChain });
    });

    expect(result.chainId).toBe(explicitChain);
    expect((await chainRows(harness.db, contextChain)).map((row) => row.output)).toEqual([
      { echo: 'in the context chain' },
    ]);
    expect((await chainRows(harness.db, explicitChain)).map((row) => row.output)).toEqual([
      { echo: 'in the explicit chain' },
    ]);
  });

  it('keeps concurrent chains apart while their calls are in flight at the same time', async () => {
    const chainCount = 4;
    // Hold every first-step answer until all chains have sent theirs, so the chains really overlap.
    let waiting: (() => void)[] = [];
    harness.fake.respondWith(async (request) => {
      const reply = echo(request);
      if (!messagesOf(request.body).at(-1)?.content.startsWith('summarise ')) return reply;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === chainCount) {
          for (const release of waiting) release();
          waiting = [];
        }
      });
      return reply;
    });
    const chainIds = Array.from({ length: chainCount }, () => newChainId());

    const seen = await Promise.all(
      chainIds.map((chainId, index) => runInChain(chainId, () => summariseThenClassify(`ticket ${index}`))),
    );

    expect(seen).toEqual(chainIds.map((chainId) => [chainId, chainId]));
    for (const [index, chainId] of chainIds.entries()) {
      const rows = await chainRows(harness.db, chainId);
      expect(rows.map((row) => row.output)).toEqual([
        { echo: `summarise ticket ${index}` },
        { echo: `classify summarise ticket ${index}` },
      ]);
    }
  });
});
