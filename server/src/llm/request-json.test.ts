import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toJsonb } from '../db/jsonb.js';
import { requestParts } from './request-json.js';
import type { RequestTemplate } from './request-template.js';
import { defineTask } from './task.js';
import { TaskRegistry } from './tasks.js';

const task = defineTask({
  name: 'intent',
  input: z.object({ text: z.string(), instructions: z.string().default('Classify.') }),
  // A description may hold what PostgreSQL cannot store, like any text a person writes.
  output: z.object({ intent: z.enum(['order', 'other']).describe('the intent\u0000'), entities: z.array(z.string()) }),
  model: 'openai:gpt-4.1-mini',
  prompt: ({ text, instructions }) => [
    { role: 'system', content: instructions },
    { role: 'system', content: 'Answer in JSON.' },
    { role: 'user', content: text },
  ],
});

const PARAMS = {
  maxTokens: 256,
  timeoutMs: 1_000,
  maxRetries: 0,
  validationRetries: 1,
  temperature: 0.2,
  seed: undefined,
};

/** The request as the inference_log_request view puts it back together. */
function whole(request: string, template: RequestTemplate): unknown {
  const rest = z
    .object({ messages: z.array(z.unknown()) })
    .loose()
    .parse(JSON.parse(request));
  return {
    ...rest,
    output: JSON.parse(template.output),
    messages: [...z.array(z.unknown()).parse(JSON.parse(template.system_messages)), ...rest.messages],
  };
}

describe('the request of a log row', () => {
  it('is split into a template (the output schema and the leading system messages) and the rest, which together are the request as one object', () => {
    const registered = new TaskRegistry([task]).get('intent');
    const messages = task.prompt({ text: 'where is \u0000 my order \ud800?', instructions: 'Classify.' });
    const { request, template } = requestParts(registered, messages, PARAMS, 'openai:gpt-4.1-mini');
    const output = { name: registered.schemaName, schema: registered.strictOutput.schema };
    const expected = toJsonb({ messages, output, params: PARAMS, requestedModel: 'openai:gpt-4.1-mini' });
    expect(whole(request, template)).toEqual(JSON.parse(expected));
    expect(JSON.parse(request)).toMatchObject({ messages: [{ role: 'user' }] });
    expect(JSON.parse(request).messages).toHaveLength(1);
    expect(template.systemMessageCount).toBe(2);
    expect(request + template.output + template.system_messages).not.toContain('\\u0000');
  });

  it('shares one template between the calls that send the same system messages, and names another for other ones', () => {
    const registered = new TaskRegistry([task]).get('intent');
    const parts = (text: string, instructions: string) =>
      requestParts(registered, task.prompt({ text, instructions }), PARAMS, 'openai:gpt-4.1-mini');
    const first = parts('one', 'Classify.');
    expect(parts('two', 'Classify.').template).toBe(first.template);
    const other = parts('one', 'Classify carefully.');
    expect(other.template.id).not.toBe(first.template.id);
    expect(other.template.id).toMatch(/^[0-9a-f]{64}$/);
    // Another process of the same code names the same template.
    expect(
      requestParts(
        new TaskRegistry([task]).get('intent'),
        task.prompt({ text: 'x', instructions: 'Classify.' }),
        PARAMS,
        'm',
      ).template.id,
    ).toBe(first.template.id);
  });

  it('keeps system messages in the row once a task has sent many distinct ones, so a prompt made per call adds no template per call', () => {
    const registered = new TaskRegistry([task]).get('intent');
    const parts = (index: number) =>
      requestParts(registered, task.prompt({ text: 'hi', instructions: `Context ${index}` }), PARAMS, 'm');
    const templates = new Set(Array.from({ length: 40 }, (_, index) => parts(index).template.id));
    expect(templates.size).toBeLessThan(20);
    const late = parts(40);
    expect(late.template.systemMessageCount).toBe(0);
    expect(JSON.parse(late.template.system_messages)).toEqual([]);
    expect(whole(late.request, late.template)).toMatchObject({
      messages: task.prompt({ text: 'hi', instructions: 'Context 40' }),
    });
    // The ones made before the limit still serve their calls.
    expect(parts(0).template.systemMessageCount).toBe(2);
  });
});
