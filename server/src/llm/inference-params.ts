import { z } from 'zod';

/** Inference settings a task, a deployment or a call may set; later layers win key by key. */
export const inferenceParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    /** Upper bound of generated tokens; hitting it raises TruncationError. */
    maxTokens: z.number().int().positive(),
    seed: z.number().int(),
    /** Per HTTP attempt, in milliseconds. */
    timeoutMs: z.number().int().positive(),
    /**
     * HTTP retries the SDK makes on 408/409/429/5xx and network errors within one attempt; also how many more
     * attempts `ask()` makes, each logged, after a 2xx whose body is not the API's JSON (retry-policy.ts).
     */
    maxRetries: z.number().int().min(0).max(10),
    /** Extra attempts after an answer that is not JSON or fails the output schema. */
    validationRetries: z.number().int().min(0).max(10),
  })
  .partial()
  .strict();

export type InferenceParams = z.infer<typeof inferenceParamsSchema>;

export type ResolvedParams = InferenceParams &
  Required<Pick<InferenceParams, 'maxTokens' | 'timeoutMs' | 'maxRetries' | 'validationRetries'>>;

export function mergeParams(base: ResolvedParams, ...layers: (InferenceParams | undefined)[]): ResolvedParams {
  let merged: ResolvedParams = { ...base };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) merged = { ...merged, [key]: value };
    }
  }
  return merged;
}
