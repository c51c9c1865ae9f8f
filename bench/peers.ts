/**
 * The peers ask() is measured against: the same zod schema and prompt through the raw `openai` call, `openai`'s
 * `chat.completions.parse` with `zodResponseFormat`, and the AI SDK's `generateObject` (on Chat Completions, the
 * API the fake provider serves and ask() uses).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';

export interface PeerPrompt {
  system: string;
  user: string;
}

// ask() asks for up to 2,048 output tokens by default; the peers ask for the same.
const MAX_OUTPUT_TOKENS = 2_048;
const SCHEMA_NAME = 'bench_intent';

/** One call each, resolving to the parsed object (the raw call: to the completion, parsed by no one). */
export function peerCalls(baseUrl: string, schema: z.ZodObject, prompt: PeerPrompt) {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: baseUrl, maxRetries: 0 });
  const messages = [
    { role: 'system' as const, content: prompt.system },
    { role: 'user' as const, content: prompt.user },
  ];
  const rawBody = {
    model: 'gpt-4.1-mini',
    messages,
    response_format: {
      type: 'json_schema' as const,
      json_schema: { name: SCHEMA_NAME, strict: true, schema: z.toJSONSchema(schema) },
    },
    max_completion_tokens: MAX_OUTPUT_TOKENS,
  };
  // Built once, as a user of the helper would keep it beside the schema.
  const responseFormat = zodResponseFormat(schema, SCHEMA_NAME);
  const aiSdkModel = createOpenAI({ apiKey: 'sk-bench', baseURL: baseUrl }).chat('gpt-4.1-mini');
  return {
    raw: () => client.chat.completions.create(rawBody),
    parse: async () => {
      const completion = await client.chat.completions.parse({
        model: 'gpt-4.1-mini',
        messages,
        response_format: responseFormat,
        max_completion_tokens: MAX_OUTPUT_TOKENS,
      });
      return completion.choices[0]?.message.parsed;
    },
    generateObject: async () => {
      const result = await generateObject({
        model: aiSdkModel,
        schema,
        schemaName: SCHEMA_NAME,
        system: prompt.system,
        prompt: prompt.user,
        // maxOutputTokens would send max_tokens for this model; this sends max_completion_tokens, as the others do.
        providerOptions: { openai: { maxCompletionTokens: MAX_OUTPUT_TOKENS } },
        maxRetries: 0,
      });
      return result.object;
    },
  };
}
