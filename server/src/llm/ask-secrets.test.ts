import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainRows, rejectionOf, useLlmHarness } from '../../test/llm-harness.js';
import { newChainId } from './chain-context.js';
import { ProviderError } from './errors/index.js';
import { defineTask } from './task.js';

const API_KEY = 'sk-test-SECRET-123456';

const secretTask = defineTask({
  name: 'key check (secrets test)',
  input: z.object({ text: z.string() }),
  output: z.object({ ok: z.boolean() }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [{ role: 'user', content: text }],
});

const harness = useLlmHarness();

describe('ask() and API keys', () => {
  it('keeps a key the provider echoes in a 401 out of every inference_log column and out of the thrown error', async () => {
    harness.fake.enqueue({ kind: 'status', status: 401, message: `Incorrect API key provided: ${API_KEY}.` });
    const llm = harness.createLlm({ tasks: [secretTask], env: { OPENAI_API_KEY: API_KEY } });
    const chainId = newChainId();

    const error = await rejectionOf(llm.ask(secretTask, { text: 'hello' }, { chainId }), ProviderError);

    // The real key went out: the fake saw it, and echoed it back.
    expect(harness.fake.requests).toHaveLength(1);
    expect(harness.fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(error.providerStatus).toBe(401);
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).not.toContain('SECRET-123456');
    expect(error.message).toContain('401');
    expect(error.stack).not.toContain(API_KEY);

    const { rows } = await sql<{ row: string }>`
      select row_to_json(l)::text as row from inference_log l where chain_id = ${chainId}
    `.execute(harness.db);
    expect(rows).toHaveLength(1);
    for (const { row } of rows) {
      expect(row).not.toContain(API_KEY);
      expect(row).not.toContain('SECRET-123456');
    }
    const logged = await chainRows(harness.db, chainId);
    expect(logged[0]).toMatchObject({
      status: 'error',
      error: { class: 'ProviderError', providerStatus: 401, message: expect.stringContaining('[redacted]') },
      response: { message: expect.stringContaining('Incorrect API key provided') },
    });
  });

  it('redacts a configured key that does not look like a key, from the row and the error', async () => {
    const localKey = 'local-token-7f3a9c';
    harness.fake.enqueue({ kind: 'status', status: 401, message: `token ${localKey} is not valid here` });
    const llm = harness.createLlm({
      tasks: [secretTask],
      config: {
        providers: { local: { type: 'openai-compatible', baseURL: harness.fake.openaiBaseUrl, apiKey: localKey } },
      },
    });
    const chainId = newChainId();

    const error = await rejectionOf(
      llm.ask(secretTask, { text: 'hello' }, { chainId, model: 'local:tiny' }),
      ProviderError,
    );

    expect(harness.fake.requests[0]?.headers.authorization).toBe(`Bearer ${localKey}`);
    expect(error.message).not.toContain(localKey);
    const { rows } = await sql<{ row: string }>`
      select row_to_json(l)::text as row from inference_log l where chain_id = ${chainId}
    `.execute(harness.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.row).not.toContain(localKey);
    expect(rows[0]?.row).toContain('[redacted]');
  });

  it('keeps a key a provider echoes in a successful answer out of the row, and leaves the answer as it was', async () => {
    const body = {
      id: 'chatcmpl-echo',
      object: 'chat.completion',
      created: 1_764_806_400,
      model: 'gpt-4.1-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: JSON.stringify({ ok: true }), refusal: null },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
      // What a misbehaving proxy in front of a provider was seen to do: echo the request's headers.
      system_fingerprint: `auth=Bearer ${API_KEY}`,
      // Or the headers as an object's keys.
      seen: { [`Bearer ${API_KEY}`]: 1, [`Token ${API_KEY}`]: 2, 'Bearer [redacted]': 3 },
    };
    harness.fake.enqueue({ kind: 'raw', body: JSON.stringify(body), contentType: 'application/json' });
    const llm = harness.createLlm({ tasks: [secretTask], env: { OPENAI_API_KEY: API_KEY } });
    const chainId = newChainId();

    const result = await llm.ask(secretTask, { text: 'hello' }, { chainId });

    expect(result.output).toEqual({ ok: true });
    const { rows } = await sql<{ row: string }>`
      select row_to_json(l)::text as row from inference_log l where chain_id = ${chainId}
    `.execute(harness.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.row).not.toContain('SECRET-123456');
    const logged = await chainRows(harness.db, chainId);
    expect(logged[0]).toMatchObject({
      status: 'ok',
      response: {
        system_fingerprint: 'auth=Bearer [redacted]',
        seen: { 'Bearer [redacted]': 1, 'Token [redacted]': 2, 'Bearer [redacted] (2)': 3 },
        usage: { prompt_tokens: 12 },
      },
      output: { ok: true },
    });
  });
});
