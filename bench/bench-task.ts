/** The one task every bench way asks: its zod schema, its prompt, and the LLM settings ask() runs it with. */
import { z } from 'zod';
import { buildLlmSettings } from '../server/src/llm/settings.js';
import { defineTask } from '../server/src/llm/task.js';

export const SYSTEM_PROMPT = 'Classify the intent.';
export const USER_TEXT = 'Where is my order A-1042?';
/** What the fake provider answers. */
export const BENCH_ANSWER = { intent: 'order_status', confidence: 0.9, entities: [{ kind: 'order', value: 'A-1042' }] };

export const outputSchema = z.object({
  intent: z.enum(['order_status', 'refund_request', 'other']),
  confidence: z.number().min(0).max(1),
  entities: z.array(z.object({ kind: z.string(), value: z.string() })),
});

export const benchTask = defineTask({
  name: 'bench intent',
  input: z.object({ text: z.string() }),
  output: outputSchema,
  model: 'openai:gpt-4.1-mini',
  prompt: (input) => [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: input.text },
  ],
});

/** No retries of any kind: a failure is the bench's to see, not to hide. */
export function benchLlmSettings(openaiBaseUrl: string) {
  return buildLlmSettings({
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: openaiBaseUrl,
    CHAINLOG_LLM_TIMEOUT_MS: 30_000,
    CHAINLOG_LLM_MAX_RETRIES: 0,
    CHAINLOG_VALIDATION_RETRIES: 0,
  });
}
