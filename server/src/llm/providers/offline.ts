import { OFFLINE_PROVIDER } from '@chainlog/shared';
import { generateOfflineValue, hashText } from './offline-value.js';
import type { ProviderAdapter, ProviderCall } from './provider.js';

// Defined in shared/, where the web client reads it too.
export { OFFLINE_PROVIDER };

/**
 * Needs no key and no network: answers with the task's offline example when it has one, otherwise with a
 * schema-shaped value derived deterministically from the request. Usage is estimated at 4 characters a token.
 */
export function createOfflineAdapter(): ProviderAdapter {
  return {
    name: OFFLINE_PROVIDER,
    async complete(call) {
      const requestText = JSON.stringify({ model: call.model, messages: call.messages, schema: call.output.schema });
      const requestId = `offline-${hashText(requestText).toString(16).padStart(8, '0')}`;
      const example = call.offlineExample?.();
      const value = example ?? generateOfflineValue(call.output.schema, requestText, lastUserText(call));
      const body = { id: requestId, model: call.model, output: value };
      const usage = { inputTokens: estimateTokens(requestText), outputTokens: estimateTokens(JSON.stringify(value)) };
      const base = { body, usage, providerRequestId: requestId };
      return example === undefined ? { ...base, outcome: 'value', value } : { ...base, outcome: 'example', value };
    },
  };
}

function lastUserText(call: ProviderCall): string {
  return call.messages.findLast((message) => message.role === 'user')?.content ?? '';
}

function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
