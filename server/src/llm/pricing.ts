import { z } from 'zod';
import type { ProviderUsage } from './providers/provider.js';

/** USD per million tokens. */
export const priceSchema = z
  .object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
  .strict();
export type Price = z.infer<typeof priceSchema>;
/** Keyed by "<provider>:<model>"; "<provider>:*" prices every model of a provider (e.g. "offline:*", a local server). */
export type PriceTable = Record<string, Price>;

/** List prices the providers published (checked 2025); a deployment extends or overrides them in its config. */
export const DEFAULT_PRICES: PriceTable = {
  'offline:*': { inputPerMillion: 0, outputPerMillion: 0 },
  'openai:gpt-5': { inputPerMillion: 1.25, outputPerMillion: 10 },
  'openai:gpt-5-mini': { inputPerMillion: 0.25, outputPerMillion: 2 },
  'openai:gpt-5-nano': { inputPerMillion: 0.05, outputPerMillion: 0.4 },
  'openai:gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'openai:gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'openai:gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'openai:gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'openai:gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'anthropic:claude-opus-4-5': { inputPerMillion: 5, outputPerMillion: 25 },
  'anthropic:claude-opus-4-1': { inputPerMillion: 15, outputPerMillion: 75 },
  'anthropic:claude-sonnet-4-5': { inputPerMillion: 3, outputPerMillion: 15 },
  'anthropic:claude-haiku-4-5': { inputPerMillion: 1, outputPerMillion: 5 },
};

/** The cost of one call as a decimal string for `numeric`, or null when the price or the usage is unknown. */
export function costUsd(prices: PriceTable, provider: string, model: string, usage: ProviderUsage): string | null {
  const price = prices[`${provider}:${model}`] ?? prices[`${provider}:*`];
  if (!price || usage.inputTokens === null || usage.outputTokens === null) return null;
  const dollars = (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000;
  return dollars.toFixed(8);
}
