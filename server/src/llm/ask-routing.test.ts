import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type TestSettingsOptions, bodyOf, chainRows, rejectionOf, useLlmHarness } from '../../test/llm-harness.js';
import { TASKS } from '../tasks/index.js';
import type { Db } from '../db/client.js';
import { newChainId } from './chain-context.js';
import { InvalidTaskInputError, ModelConfigError, UnknownTaskError } from './errors/index.js';
import { defineTask } from './task.js';

const ROUTED_TASK_NAME = 'routing probe (routing test)';

const routedTask = defineTask({
  name: ROUTED_TASK_NAME,
  input: z.object({ text: z.string().min(1) }),
  output: z.object({ answer: z.string() }),
  model: 'openai:gpt-4.1-nano',
  params: { temperature: 0.1, topP: 0.9, maxTokens: 100 },
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const planOutput = z.object({
  title: z.string(),
  priority: z.enum(['low', 'medium', 'high']),
  steps: z.array(
    z.object({
      action: z.string(),
      owner: z.enum(['agent', 'customer']),
      tags: z.array(z.enum(['urgent', 'billing', 'shipping'])),
      dueInDays: z.number().int().min(0).max(30).optional(),
    }),
  ),
  notes: z.string().optional(),
});

const planTask = defineTask({
  name: 'support plan (routing test)',
  input: z.object({ ticket: z.string() }),
  output: planOutput,
  model: 'offline:default',
  prompt: ({ ticket }) => [
    { role: 'system', content: 'Plan the next steps for a support ticket.' },
    { role: 'user', content: ticket },
  ],
});

const harness = useLlmHarness();

function answerEverything(): void {
  harness.fake.respondWith(() => ({ kind: 'json', value: { answer: 'routed' } }));
}

/** Asks the routed task once with these settings and returns what the fake received and the row written. */
async function routeOnce(options: TestSettingsOptions & { callModel?: string }) {
  answerEverything();
  const llm = harness.createLlm({ tasks: [routedTask], ...options });
  const result = await llm.ask(
    routedTask,
    { text: 'where does this go?' },
    { chainId: newChainId(), model: options.callModel },
  );
  const rows = await chainRows(harness.db, result.chainId);
  expect(rows).toHaveLength(1);
  expect(harness.fake.requests).toHaveLength(1);
  const request = harness.fake.requests[0];
  return { api: request?.api, model: bodyOf(request).model, row: rows[0] };
}

async function countRows(db: Db): Promise<number> {
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from inference_log`.execute(db);
  return rows[0]?.count ?? Number.NaN;
}

describe('ask() model routing', () => {
  it('uses the task default model when nothing overrides it', async () => {
    const routed = await routeOnce({});

    expect(routed).toMatchObject({
      api: 'openai',
      model: 'gpt-4.1-nano',
      row: { provider: 'openai', model: 'gpt-4.1-nano' },
    });
    expect(routed.row?.request).toMatchObject({ requestedModel: 'openai:gpt-4.1-nano' });
  });

  it('lets the config file default model win over the task default', async () => {
    const routed = await routeOnce({ config: { model: 'openai:gpt-4o' } });

    expect(routed).toMatchObject({ api: 'openai', model: 'gpt-4o', row: { provider: 'openai', model: 'gpt-4o' } });
  });

  it('lets CHAINLOG_MODEL win over the config file default and the task default', async () => {
    const routed = await routeOnce({
      env: { CHAINLOG_MODEL: 'anthropic:claude-haiku-4-5' },
      config: { model: 'openai:gpt-4o' },
    });

    expect(routed).toMatchObject({
      api: 'anthropic',
      model: 'claude-haiku-4-5',
      row: { provider: 'anthropic', model: 'claude-haiku-4-5' },
    });
  });

  it('lets a per-task config override win over CHAINLOG_MODEL', async () => {
    const routed = await routeOnce({
      env: { CHAINLOG_MODEL: 'anthropic:claude-haiku-4-5' },
      config: { tasks: { [ROUTED_TASK_NAME]: { model: 'openai:gpt-4.1' } } },
    });

    expect(routed).toMatchObject({ api: 'openai', model: 'gpt-4.1', row: { provider: 'openai', model: 'gpt-4.1' } });
  });

  it('lets the model of the call win over every configured default', async () => {
    const routed = await routeOnce({
      env: { CHAINLOG_MODEL: 'openai:gpt-4o' },
      config: { model: 'openai:gpt-4o-mini', tasks: { [ROUTED_TASK_NAME]: { model: 'openai:gpt-4.1' } } },
      callModel: 'anthropic:claude-opus-4-1',
    });

    expect(routed).toMatchObject({
      api: 'anthropic',
      model: 'claude-opus-4-1',
      row: {
        provider: 'anthropic',
        model: 'claude-opus-4-1',
        request: { requestedModel: 'anthropic:claude-opus-4-1' },
      },
    });
  });

  it('runs a task that defaults to openai on the offline provider when OPENAI_API_KEY is missing, and says so', async () => {
    const llm = harness.createLlm({ tasks: [routedTask], env: { OPENAI_API_KEY: undefined } });
    answerEverything();

    const result = await llm.ask(routedTask, { text: 'no key here' }, { chainId: newChainId() });

    expect(result.provider).toBe('offline');
    expect(harness.fake.requests).toHaveLength(0);
    const rows = await chainRows(harness.db, result.chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'ok',
      provider: 'offline',
      model: 'default',
      request: { requestedModel: 'openai:gpt-4.1-nano' },
    });
    const fallbacks = llm.router.describeFallbacks([routedTask]);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toContain('openai');
    expect(fallbacks[0]).toContain(`"${ROUTED_TASK_NAME}" (openai:gpt-4.1-nano)`);
    expect(fallbacks[0]).toContain('offline');
  });

  it('throws ModelConfigError for a provider nobody configured, before writing a row or sending a request', async () => {
    const llm = harness.createLlm({ tasks: [routedTask] });
    const chainId = newChainId();

    const error = await rejectionOf(
      llm.ask(routedTask, { text: 'x' }, { chainId, model: 'mystery:model-x' }),
      ModelConfigError,
    );

    expect(error.message).toContain('"mystery"');
    expect(await chainRows(harness.db, chainId)).toEqual([]);
    expect(harness.fake.requests).toHaveLength(0);
  });

  it('throws ModelConfigError for a model spec without a provider', async () => {
    const llm = harness.createLlm({ tasks: [routedTask] });

    const error = await rejectionOf(llm.ask(routedTask, { text: 'x' }, { model: 'gpt-4.1-mini' }), ModelConfigError);

    expect(error.message).toContain('"gpt-4.1-mini"');
  });

  it('throws UnknownTaskError listing the known task names for a name nobody registered', async () => {
    const llm = harness.createLlm({ tasks: [routedTask, ...TASKS] });

    const error = await rejectionOf(llm.askByName('intent recognitoin', {}), UnknownTaskError);

    expect(error.knownNames).toEqual([ROUTED_TASK_NAME, ...TASKS.map((task) => task.name)]);
    expect(error.message).toContain('"intent recognitoin"');
    expect(error.message).toContain(`"${ROUTED_TASK_NAME}"`);
    expect(error.message).toContain('"intent recognition"');
  });

  it('throws InvalidTaskInputError with the zod issues, and neither writes a row nor calls the provider', async () => {
    const llm = harness.createLlm({ tasks: [routedTask] });
    answerEverything();
    const chainId = newChainId();
    const rowsBefore = await countRows(harness.db);

    const error = await rejectionOf(llm.askByName(ROUTED_TASK_NAME, { text: 42 }, { chainId }), InvalidTaskInputError);

    expect(error.taskName).toBe(ROUTED_TASK_NAME);
    expect(error.issues).toEqual([expect.objectContaining({ code: 'invalid_type', path: ['text'] })]);
    expect(error.message).toContain('text:');
    expect(error.logId).toBeUndefined();
    expect(await chainRows(harness.db, chainId)).toEqual([]);
    expect(await countRows(harness.db)).toBe(rowsBefore);
    expect(harness.fake.requests).toHaveLength(0);
  });
});

describe('the offline provider', () => {
  it('answers the same request with the same output, valid against a schema with nested arrays, enums and optional fields', async () => {
    const llm = harness.createLlm({ tasks: [planTask] });
    const input = { ticket: 'My parcel was charged twice and has not arrived.' };

    const first = await llm.ask(planTask, input, { chainId: newChainId() });
    const second = await llm.ask(planTask, input, { chainId: newChainId() });

    expect(second.output).toEqual(first.output);
    expect(planOutput.safeParse(first.output).success).toBe(true);
    expect(first).toMatchObject({ provider: 'offline', model: 'default', costUsd: '0.00000000' });
    expect(harness.fake.requests).toHaveLength(0);
    const rows = await chainRows(harness.db, first.chainId);
    expect(rows).toMatchObject([{ status: 'ok', provider: 'offline', output: first.output }]);
  });

  it('answers "I want a refund" with refund_request through the offline example of intent recognition', async () => {
    const llm = harness.createLlm({ tasks: TASKS, env: { OPENAI_API_KEY: undefined } });

    const result = await llm.ask(
      'intent recognition',
      { from: 'ana@example.com', body: 'I want a refund' },
      { chainId: newChainId() },
    );

    expect(result.output.intent).toBe('refund_request');
    expect(result.provider).toBe('offline');
    expect(harness.fake.requests).toHaveLength(0);
    const rows = await chainRows(harness.db, result.chainId);
    expect(rows).toMatchObject([
      { status: 'ok', provider: 'offline', name: 'intent recognition', output: { intent: 'refund_request' } },
    ]);
  });
});

describe('ask() inference params', () => {
  it('uses the task params over the deployment defaults when nothing else is set', async () => {
    answerEverything();
    const llm = harness.createLlm({ tasks: [routedTask], config: { params: { seed: 7, temperature: 1.5 } } });

    await llm.ask(routedTask, { text: 'params' }, { chainId: newChainId() });

    expect(bodyOf(harness.fake.requests[0])).toMatchObject({
      temperature: 0.1,
      top_p: 0.9,
      seed: 7,
      max_completion_tokens: 100,
    });
  });

  it('layers call params over config task params over task params, key by key', async () => {
    answerEverything();
    const llm = harness.createLlm({
      tasks: [routedTask],
      config: {
        params: { seed: 7, temperature: 1.5 },
        tasks: { [ROUTED_TASK_NAME]: { params: { temperature: 0.5, maxTokens: 200 } } },
      },
    });

    const result = await llm.ask(routedTask, { text: 'params' }, { chainId: newChainId(), params: { maxTokens: 300 } });

    const body = bodyOf(harness.fake.requests[0]);
    expect(body).toMatchObject({ temperature: 0.5, top_p: 0.9, seed: 7, max_completion_tokens: 300 });
    const rows = await chainRows(harness.db, result.chainId);
    expect(rows[0]?.request).toMatchObject({ params: { temperature: 0.5, topP: 0.9, seed: 7, maxTokens: 300 } });
  });
});
