import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bodyOf, chainRows, messagesOf, useLlmHarness } from '../../test/llm-harness.js';
import type { ExecuteLogStatement } from '../db/inference-log-writer.js';
import { readLogExportPages } from '../db/queries/export.js';
import { newChainId } from './chain-context.js';
import { defineTask } from './task.js';

const SYSTEM_PROMPT = 'Say which language the text is in. Answer with the ISO 639-1 code.';

const languageTask = defineTask({
  name: 'language (template test)',
  input: z.object({ text: z.string() }),
  output: z.object({ language: z.string().describe('ISO 639-1') }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: text },
  ],
});

const harness = useLlmHarness();

/** The database's rows of a chain as stored, request as the column holds it. */
async function storedRows(chainId: string) {
  return harness.db
    .selectFrom('inference_log')
    .select(['id', 'request', 'request_template_id'])
    .where('chain_id', '=', chainId)
    .orderBy('id')
    .execute();
}

async function wholeRequestOf(id: string): Promise<unknown> {
  const row = await harness.db
    .selectFrom('inference_log_request')
    .select('request')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.request;
}

describe('request templates: the output schema and system prompt stored once', () => {
  it('stores one template for the calls of a task, keeps the rest in each row, and inference_log_request shows the request as sent', async () => {
    const llm = harness.createLlm({ tasks: [languageTask] });
    const chainId = newChainId();
    for (const text of ['Bonjour', 'Hallo']) {
      harness.fake.enqueue({ kind: 'json', value: { language: text === 'Bonjour' ? 'fr' : 'de' } });
      await llm.ask(languageTask, { text }, { chainId });
    }

    const rows = await storedRows(chainId);
    expect(rows).toHaveLength(2);
    const [first, second] = rows;
    expect(first?.request_template_id).toMatch(/^[0-9a-f]{64}$/);
    expect(second?.request_template_id).toBe(first?.request_template_id);
    // The row holds what is not shared: no schema, no system prompt.
    expect(first?.request).not.toHaveProperty('output');
    expect(messagesOf(first?.request)).toEqual([{ role: 'user', content: 'Bonjour' }]);
    const templates = await harness.db
      .selectFrom('request_template')
      .selectAll()
      .where('id', '=', first?.request_template_id ?? '')
      .execute();
    expect(templates).toHaveLength(1);
    expect(templates[0]?.system_messages).toEqual([{ role: 'system', content: SYSTEM_PROMPT }]);

    // Put back together, the request is what the provider received, and what the app's reads give.
    const sent = bodyOf(harness.fake.requests[0]);
    const whole = await wholeRequestOf(first?.id ?? '');
    expect(whole).toMatchObject({
      messages: messagesOf(sent),
      output: z
        .object({ json_schema: z.object({ name: z.string(), schema: z.unknown() }) })
        .loose()
        .parse(sent.response_format).json_schema,
      requestedModel: 'openai:gpt-4.1-mini',
    });
    expect(whole).toHaveProperty('params');
    const [read] = await chainRows(harness.db, chainId);
    expect(read?.request).toEqual(whole);
    const exported = [];
    for await (const page of readLogExportPages(harness.db, 'pglite', { chainId, order: 'asc' }, 10))
      exported.push(...page);
    expect(exported.map((row) => row.whole_request)).toEqual([whole, await wholeRequestOf(second?.id ?? '')]);
  });

  it('shows a row written without a template (before them, or by the seed) with its request as stored', async () => {
    const id = '0193a000-0000-7000-8000-000000000001';
    const request = { messages: [{ role: 'user', content: 'old' }], output: { name: 'x', schema: {} } };
    await sql`insert into inference_log (id, chain_id, name, provider, model, status, request)
      values (${id}, ${newChainId()}, 'old task', 'openai', 'gpt-4.1-mini', 'ok', ${JSON.stringify(request)})`.execute(
      harness.db,
    );
    expect(await wholeRequestOf(id)).toEqual(request);
  });

  it('stores a template that failed to be stored with the next row that names it (the finished one), so no row names a missing template', async () => {
    let failures = 1;
    const failingFirstTemplate =
      (execute: ExecuteLogStatement): ExecuteLogStatement =>
      (statement) => {
        if (statement.name === 'request_template_insert' && failures > 0) {
          failures--;
          return Promise.reject(new Error('connection lost'));
        }
        return execute(statement);
      };
    const task = defineTask({ ...languageTask, name: 'language (failing template test)' });
    const llm = harness.createLlm({ tasks: [task], logStatements: failingFirstTemplate });
    const chainId = newChainId();
    harness.fake.enqueue({ kind: 'json', value: { language: 'fr' } });
    harness.fake.enqueue({ kind: 'json', value: { language: 'de' } });

    await llm.ask(task, { text: 'Bonjour' }, { chainId });
    await llm.ask(task, { text: 'Hallo' }, { chainId });

    expect(failures).toBe(0);
    const rows = await chainRows(harness.db, chainId);
    expect(rows.map((row) => row.status)).toEqual(['ok', 'ok']);
    const { rows: orphans } = await sql<{ count: number }>`
      select count(*)::int as count from inference_log as log
      where log.chain_id = ${chainId}
        and not exists (select 1 from request_template as template where template.id = log.request_template_id)`.execute(
      harness.db,
    );
    expect(orphans[0]?.count).toBe(0);
    expect(messagesOf(rows[0]?.request)[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
  });
});
