import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bodyOf, chainRows, messagesOf, useLlmHarness } from '../../test/llm-harness.js';
import { newChainId } from './chain-context.js';
import { toStrictJsonSchema } from './strict-json-schema/index.js';
import { defineTask } from './task.js';

const labelOutput = z.object({ label: z.enum(['spam', 'ham']), reason: z.string() });

const labelTask = defineTask({
  name: 'spam label (compatible test)',
  input: z.object({ text: z.string() }),
  output: labelOutput,
  model: 'local:llama3.1',
  params: { maxTokens: 64 },
  prompt: ({ text }) => [
    { role: 'system', content: 'Label the message as spam or ham.' },
    { role: 'user', content: text },
  ],
});

const LABEL = { label: 'ham', reason: 'A friend asking about lunch.' } as const;

const harness = useLlmHarness();

/** A deployment with one named OpenAI-compatible server, "local", without a key, and no official provider keys. */
function localDeployment(structuredOutput: 'json_schema' | 'json_object') {
  return {
    env: { OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined },
    config: {
      providers: {
        local: { type: 'openai-compatible' as const, baseURL: harness.fake.openaiBaseUrl, structuredOutput },
      },
    },
  };
}

function llmWithLocal(structuredOutput: 'json_schema' | 'json_object') {
  return harness.createLlm({ tasks: [labelTask], ...localDeployment(structuredOutput) });
}

describe('ask() through a config-file OpenAI-compatible provider', () => {
  it('in json_schema mode sends a strict response format with max_tokens, not max_completion_tokens', async () => {
    harness.fake.enqueue({ kind: 'json', value: LABEL });
    const input = { text: 'Lunch on Friday?' };

    const result = await llmWithLocal('json_schema').ask(labelTask, input, { chainId: newChainId() });

    expect(result.output).toEqual(LABEL);
    expect(harness.fake.requests).toHaveLength(1);
    const body = bodyOf(harness.fake.requests[0]);
    expect(body).toMatchObject({
      model: 'llama3.1',
      max_tokens: 64,
      messages: labelTask.prompt(input),
      response_format: {
        type: 'json_schema',
        json_schema: { strict: true, schema: toStrictJsonSchema(labelOutput).schema },
      },
    });
    expect(body).not.toHaveProperty('max_completion_tokens');
  });

  it('in json_object mode sends JSON mode and, first, a system message that carries the schema', async () => {
    harness.fake.enqueue({ kind: 'json', value: LABEL });
    const input = { text: 'Lunch on Saturday?' };

    const result = await llmWithLocal('json_object').ask(labelTask, input, { chainId: newChainId() });

    expect(result.output).toEqual(LABEL);
    const body = bodyOf(harness.fake.requests[0]);
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.max_tokens).toBe(64);
    const messages = messagesOf(body);
    expect(messages.slice(1)).toEqual(labelTask.prompt(input));
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toContain(JSON.stringify(toStrictJsonSchema(labelOutput).schema));
  });

  it('logs the row under the configured provider name and needs no API key', async () => {
    harness.fake.enqueue({ kind: 'json', value: LABEL, usage: { inputTokens: 40, outputTokens: 12 } });
    const llm = llmWithLocal('json_schema');

    const result = await llm.ask(labelTask, { text: 'Lunch on Sunday?' }, { chainId: newChainId() });

    expect(result).toMatchObject({ provider: 'local', model: 'llama3.1' });
    const rows = await chainRows(harness.db, result.chainId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: 'local',
      model: 'llama3.1',
      status: 'ok',
      input_tokens: 40,
      output_tokens: 12,
      // No price is known for "local:*".
      cost_usd: null,
      output: LABEL,
    });
    expect(rows[0]?.provider_request_id).toMatch(/^req_fake_\d+$/);
    const settings = harness.settings(localDeployment('json_schema'));
    expect(settings.providers.local).not.toHaveProperty('apiKey');
    expect(settings.secrets).toEqual([]);
    // The official providers have no key, but a task routed to the named server does not fall back to offline.
    expect(settings.unconfiguredProviders).toEqual(['openai', 'anthropic']);
    expect(llm.router.describeFallbacks([labelTask])).toEqual([]);
  });
});
