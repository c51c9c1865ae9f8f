import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { z } from 'zod';

const PACKAGE = '@pydantic/genai-prices';

/** Which of the package's providers prices a call: by its id, or by the API URL an OpenAI-compatible server has. */
export type BundledProvider = { providerId: string } | { providerApiUrl: string };

/**
 * The list price of one call in USD from the table bundled in `@pydantic/genai-prices`, or null when the table has no
 * price for the model. Only the bundled table is read: the package's `updatePrices` (which fetches a newer table)
 * is never set up, so pricing makes no network call.
 * `at` chooses among prices that changed on a date or by time of day.
 */
export function bundledCostUsd(
  provider: BundledProvider,
  model: string,
  tokens: { input: number; output: number },
  at: Date,
): number | null {
  const priced = calcPrice({ input_tokens: tokens.input, output_tokens: tokens.output }, model, {
    ...provider,
    timestamp: at,
  });
  return priced ? priced.total_price : null;
}

let source: string | undefined;

/** "genai-prices@<version>": which table priced a row, stored in inference_log.price_source. */
export function bundledPriceSource(): string {
  source ??= `genai-prices@${installedVersion()}`;
  return source;
}

// The package's exports hide its package.json, so it is read beside the entry point that Node resolves.
function installedVersion(): string {
  const entry = createRequire(import.meta.url).resolve(PACKAGE);
  const manifest: unknown = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  return z.object({ name: z.literal(PACKAGE), version: z.string().min(1) }).parse(manifest).version;
}
