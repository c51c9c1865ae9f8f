import type { LlmSettings } from '../settings.js';
import { createAnthropicAdapter } from './anthropic.js';
import { createOfflineAdapter } from './offline.js';
import { createOpenAiAdapter } from './openai.js';
import type { ProviderAdapter } from './provider.js';

/** One adapter (and so one SDK client, with its connection pool) per configured provider. */
export function createProviderAdapters(settings: LlmSettings): Map<string, ProviderAdapter> {
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, provider] of Object.entries(settings.providers)) {
    switch (provider.type) {
      case 'offline':
        adapters.set(name, createOfflineAdapter());
        break;
      case 'openai':
        adapters.set(
          name,
          createOpenAiAdapter({
            name,
            apiKey: provider.apiKey,
            baseURL: provider.baseURL,
            structuredOutput: 'json_schema',
            tokenLimitField: 'max_completion_tokens',
          }),
        );
        break;
      case 'openai-compatible':
        adapters.set(
          name,
          createOpenAiAdapter({
            name,
            apiKey: provider.apiKey,
            baseURL: provider.baseURL,
            structuredOutput: provider.structuredOutput,
            tokenLimitField: 'max_tokens',
          }),
        );
        break;
      case 'anthropic':
        adapters.set(
          name,
          createAnthropicAdapter({
            name,
            apiKey: provider.apiKey,
            baseURL: provider.baseURL,
            structuredOutput: provider.structuredOutput,
          }),
        );
        break;
    }
  }
  return adapters;
}
