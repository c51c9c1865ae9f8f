import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeProvider, startFakeProvider } from '../server/test/fake-provider.js';
import { peerCalls } from './peers.js';

const schema = z.object({
  intent: z.enum(['order_status', 'other']),
  entities: z.array(z.object({ kind: z.string(), value: z.string() })),
});
const answer = { intent: 'order_status', entities: [{ kind: 'order', value: 'A-1042' }] };
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider({ respond: () => ({ kind: 'json', value: answer }) });
});

afterAll(async () => {
  await fake?.close();
});

describe("the bench's peers against the fake provider", () => {
  const prompt = { system: 'Classify the intent.', user: 'Where is my order A-1042?' };

  it.each(['parse', 'generateObject'] as const)(
    '%s sends a strict json_schema response format and gets the parsed object',
    async (way) => {
      fake.requests.length = 0;
      const calls = peerCalls(fake.openaiBaseUrl, schema, prompt);
      await expect(calls[way]()).resolves.toEqual(answer);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
      expect(fake.requests[0]?.body).toMatchObject({
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'bench_intent',
            strict: true,
            schema: { type: 'object', required: ['intent', 'entities'] },
          },
        },
        max_completion_tokens: 2_048,
      });
    },
  );

  it('the raw call sends the same request and gets the answer unparsed', async () => {
    fake.requests.length = 0;
    const completion = await peerCalls(fake.openaiBaseUrl, schema, prompt).raw();
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual(answer);
    expect(fake.requests[0]?.body).toMatchObject({
      response_format: { json_schema: { name: 'bench_intent', strict: true } },
      max_completion_tokens: 2_048,
    });
  });
});
