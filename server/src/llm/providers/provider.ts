import type { ResolvedParams } from '../inference-params.js';
import type { ChatMessage } from '../messages.js';
import type { JsonSchema } from '../strict-json-schema/index.js';

export interface ProviderUsage {
  inputTokens: number | null;
  outputTokens: number | null;
}

/** Everything an adapter needs for one HTTP attempt; nothing here is secret, so it is also what gets logged. */
export interface ProviderCall {
  model: string;
  messages: ChatMessage[];
  output: { name: string; schema: JsonSchema };
  params: ResolvedParams;
  signal?: AbortSignal | undefined;
  /** The task's own offline answer, if it has one; only the offline provider uses it. */
  offlineExample?: (() => unknown) | undefined;
}

interface ReplyBase {
  /** The provider's raw response body, stored in inference_log.response. */
  body: unknown;
  usage: ProviderUsage;
  providerRequestId: string | null;
}

/**
 * What came back, before any parsing: `text` is JSON still to parse; `value` is already parsed and shaped like the
 * strict schema (tool input); `example` is already in the task's output shape (offline examples).
 */
export type ProviderReply = ReplyBase &
  (
    | { outcome: 'text'; text: string }
    | { outcome: 'value'; value: unknown }
    | { outcome: 'example'; value: unknown }
    | { outcome: 'refusal'; refusal: string }
    | { outcome: 'truncated'; text: string }
  );

/**
 * One adapter per API. `complete` makes one logical call (the SDK may retry HTTP inside it) and throws only
 * LlmErrors: ProviderError, ProviderTimeoutError or AbortedError.
 */
export interface ProviderAdapter {
  /** The provider's name as it appears in inference_log.provider. */
  readonly name: string;
  complete(call: ProviderCall): Promise<ProviderReply>;
}
