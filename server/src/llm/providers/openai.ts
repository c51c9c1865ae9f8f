import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { ProviderError } from '../errors/index.js';
import type { ProviderAdapter, ProviderCall, ProviderReply } from './provider.js';
import { fetchKeepingUnparsableBodies, invalidResponseBody } from './response-body.js';
import { translateSdkError } from './sdk-error.js';

export type OpenAiStructuredOutput = 'json_schema' | 'json_object';

export interface OpenAiAdapterOptions {
  /** As logged in inference_log.provider: "openai", or the name of an OpenAI-compatible endpoint ("ollama"). */
  name: string;
  apiKey: string | undefined;
  baseURL?: string | undefined;
  /**
   * `json_schema`: strict structured outputs (OpenAI, vLLM, recent Ollama). `json_object`: JSON mode with the schema
   * in the prompt, for servers without json_schema support (older llama.cpp, LiteLLM routes).
   */
  structuredOutput: OpenAiStructuredOutput;
  /** OpenAI proper takes max_completion_tokens; most compatible servers only know max_tokens. */
  tokenLimitField: 'max_completion_tokens' | 'max_tokens';
}

const SDK_ERRORS = { APIError, APIConnectionTimeoutError, APIUserAbortError };

/** OpenAI Chat Completions, and any server that speaks it, through the official SDK. */
export function createOpenAiAdapter(options: OpenAiAdapterOptions): ProviderAdapter {
  // Local servers such as Ollama need no key, but the SDK refuses to start without one.
  const client = new OpenAI({
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseURL ?? null,
    fetch: fetchKeepingUnparsableBodies(),
  });
  return {
    name: options.name,
    async complete(call) {
      let response: { data: OpenAI.Chat.Completions.ChatCompletion; response: Response; request_id: string | null };
      try {
        response = await client.chat.completions
          .create(buildBody(call, options), {
            timeout: call.params.timeoutMs,
            maxRetries: call.params.maxRetries,
            ...(call.signal ? { signal: call.signal } : {}),
          })
          .withResponse();
      } catch (error) {
        throw translateSdkError(
          error,
          SDK_ERRORS,
          { name: options.name, secrets: options.apiKey ? [options.apiKey] : [] },
          call.signal,
        );
      }
      // The SDK's type says ChatCompletion, but a 200 from a proxy can be anything: text, nothing, other JSON.
      const invalid = invalidResponseBody(
        options.name,
        response.response,
        response.data,
        ['choices'],
        response.request_id,
      );
      if (invalid) throw invalid;
      return readReply(response.data, response.request_id, options.name);
    },
  };
}

function buildBody(call: ProviderCall, options: OpenAiAdapterOptions): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = call.messages.map((message) => ({
    role: message.role,
    content: message.content,
  }));
  const { params } = call;
  const body: ChatCompletionCreateParamsNonStreaming = {
    model: call.model,
    messages,
    [options.tokenLimitField]: params.maxTokens,
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.topP === undefined ? {} : { top_p: params.topP }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
  };
  if (options.structuredOutput === 'json_schema') {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: call.output.name, strict: true, schema: call.output.schema },
    };
  } else {
    body.response_format = { type: 'json_object' };
    // First, since some local chat templates accept a system message only at the start.
    messages.unshift({ role: 'system', content: schemaInstruction(call.output.schema) });
  }
  return body;
}

function schemaInstruction(schema: unknown): string {
  return `Answer with one JSON object and nothing else. It must match this JSON Schema:\n${JSON.stringify(schema)}`;
}

function readReply(
  data: OpenAI.Chat.Completions.ChatCompletion,
  requestId: string | null,
  providerName: string,
): ProviderReply {
  const base = {
    body: data,
    usage: { inputTokens: data.usage?.prompt_tokens ?? null, outputTokens: data.usage?.completion_tokens ?? null },
    providerRequestId: requestId ?? data.id ?? null,
  };
  const choice = data.choices[0];
  if (!choice)
    throw new ProviderError(`${providerName} answered with no choices`, {
      providerRequestId: base.providerRequestId,
      body: data,
    });
  if (choice.message.refusal) return { ...base, outcome: 'refusal', refusal: choice.message.refusal };
  if (choice.finish_reason === 'content_filter')
    return { ...base, outcome: 'refusal', refusal: 'blocked by the content filter' };
  const text = choice.message.content ?? '';
  if (choice.finish_reason === 'length') return { ...base, outcome: 'truncated', text };
  return { ...base, outcome: 'text', text };
}
