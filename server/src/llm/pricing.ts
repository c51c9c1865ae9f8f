import { z } from 'zod';
import { log } from '../log.js';
import { type BundledProvider, bundledCostUsd, bundledPriceSource } from './bundled-prices.js';
import type { ProviderUsage } from './providers/provider.js';
import type { ProviderSettings } from './settings.js';

const pricingLog = log.withTag('pricing');

/** USD per million tokens. */
export const priceSchema = z
  .object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
  .strict();
export type Price = z.infer<typeof priceSchema>;
/** Keyed by "<provider>:<model>"; "<provider>:*" prices every model of a provider (e.g. "ollama:*", a local server). */
export type PriceTable = Record<string, Price>;

/** price_source of a cost from the deployment's config `prices`. */
export const CONFIG_PRICE_SOURCE = 'config';
/** price_source of an offline answer, which costs nothing. */
export const OFFLINE_PRICE_SOURCE = 'offline';

/** A call's cost as a decimal string for `numeric`, and which table it came from; both null when unknown. */
export interface CallCost {
  costUsd: string | null;
  priceSource: string | null;
}

export interface PricedCall {
  /** The provider's name in the config ("openai", "ollama") and its settings, which say what kind it is. */
  provider: string;
  providerSettings: ProviderSettings | { type: 'offline' } | undefined;
  model: string;
  usage: ProviderUsage;
  /** When the call was made: the bundled table has prices that changed on a date. */
  at: Date;
}

const UNKNOWN: CallCost = { costUsd: null, priceSource: null };

/**
 * Prices one call: the deployment's override ("<provider>:<model>", then "<provider>:*") wins; offline answers are
 * free; anything else takes the list price from the table bundled in @pydantic/genai-prices. Null when the usage or
 * the price is unknown, never a guess.
 */
export function priceCall(overrides: PriceTable, call: PricedCall): CallCost {
  const { inputTokens, outputTokens } = call.usage;
  if (inputTokens === null || outputTokens === null) return UNKNOWN;
  const override = overrides[`${call.provider}:${call.model}`] ?? overrides[`${call.provider}:*`];
  if (override) {
    const dollars = (inputTokens * override.inputPerMillion + outputTokens * override.outputPerMillion) / 1_000_000;
    return { costUsd: dollars.toFixed(8), priceSource: CONFIG_PRICE_SOURCE };
  }
  if (call.providerSettings?.type === 'offline') return { costUsd: (0).toFixed(8), priceSource: OFFLINE_PRICE_SOURCE };
  const bundled = bundledProvider(call.providerSettings);
  if (!bundled) return UNKNOWN;
  try {
    const dollars = bundledCostUsd(bundled, call.model, { input: inputTokens, output: outputTokens }, call.at);
    return dollars === null ? UNKNOWN : { costUsd: dollars.toFixed(8), priceSource: bundledPriceSource() };
  } catch (error) {
    // The package throws on a price entry it cannot apply; the call itself went fine, so only its cost is unknown.
    pricingLog.warn(`no cost for ${call.provider}:${call.model}: the bundled price table could not price it`, error);
    return UNKNOWN;
  }
}

/**
 * The official providers are priced by their id. An OpenAI-compatible server is priced only when its base URL is a
 * provider the table knows (Groq, Together…): a local server named "mistral" must not be billed as Mistral's API.
 */
function bundledProvider(settings: PricedCall['providerSettings']): BundledProvider | undefined {
  switch (settings?.type) {
    case 'openai':
    case 'anthropic':
      return { providerId: settings.type };
    case 'openai-compatible':
      return { providerApiUrl: settings.baseURL };
    default:
      return undefined;
  }
}
