import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toJsonb } from '../db/jsonb.js';
import { requestJson } from './request-json.js';
import { defineTask } from './task.js';
import { TaskRegistry } from './tasks.js';

const task = defineTask({
  name: 'intent',
  input: z.object({ text: z.string() }),
  // A description may hold what PostgreSQL cannot store, like any text a person writes.
  output: z.object({ intent: z.enum(['order', 'other']).describe('the intent\u0000'), entities: z.array(z.string()) }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text }) => [
    { role: 'system', content: 'Classify.' },
    { role: 'user', content: text },
  ],
});

describe('the request column of a log row', () => {
  it('is the jsonb text of the messages, the output schema, the params and the requested model, as one object would be', () => {
    const registered = new TaskRegistry([task]).get('intent');
    const messages = task.prompt({ text: 'where is \u0000 my order \ud800?' });
    const params = {
      maxTokens: 256,
      timeoutMs: 1_000,
      maxRetries: 0,
      validationRetries: 1,
      temperature: 0.2,
      seed: undefined,
    };
    const output = { name: registered.schemaName, schema: registered.strictOutput.schema };
    const expected = toJsonb({ messages, output, params, requestedModel: 'openai:gpt-4.1-mini' });
    expect(requestJson(registered, messages, params, 'openai:gpt-4.1-mini')).toBe(expected);
    expect(expected).not.toContain('\\u0000');
  });
});
