import Anthropic, { APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { type JsonSchema, toAnthropicJsonSchema } from '../strict-json-schema/index.js';
import type { ProviderAdapter, ProviderCall, ProviderReply } from './provider.js';
import { fetchKeepingUnparsableBodies, invalidResponseBody } from './response-body.js';
import { translateSdkError } from './sdk-error.js';

/** `native`: structured outputs (`output_config.format`); `tool`: a forced tool call, for models without them. */
export type AnthropicStructuredOutput = 'native' | 'tool';

export interface AnthropicAdapterOptions {
  name: string;
  apiKey: string | undefined;
  /** Without `/v1`: the SDK appends `/v1/messages`. */
  baseURL?: string | undefined;
  structuredOutput: AnthropicStructuredOutput;
}

const SDK_ERRORS = { APIError, APIConnectionTimeoutError, APIUserAbortError };

// A task's strict schema is one object for the life of its registry, so each is converted once.
const anthropicSchemas = new WeakMap<JsonSchema, JsonSchema>();

/** Anthropic Messages through the official SDK. */
export function createAnthropicAdapter(options: AnthropicAdapterOptions): ProviderAdapter {
  const client = new Anthropic({
    apiKey: options.apiKey ?? null,
    baseURL: options.baseURL ?? null,
    fetch: fetchKeepingUnparsableBodies(),
  });
  return {
    name: options.name,
    async complete(call) {
      let response: { data: Message; response: Response; request_id: string | null | undefined };
      try {
        response = await client.messages
          .create(buildBody(call, options.structuredOutput), {
            // An explicit timeout also stops the SDK refusing large max_tokens without streaming.
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
      const requestId = response.request_id ?? null;
      // The SDK's type says Message, but a 200 from a proxy can be anything: text, nothing, other JSON.
      const invalid = invalidResponseBody(
        options.name,
        response.response,
        response.data,
        ['content', 'usage'],
        requestId,
      );
      if (invalid) throw invalid;
      return readReply(response.data, requestId);
    },
  };
}

function buildBody(call: ProviderCall, mode: AnthropicStructuredOutput): MessageCreateParamsNonStreaming {
  const system = call.messages.filter((message) => message.role === 'system').map((message) => message.content);
  const { params } = call;
  const body: MessageCreateParamsNonStreaming = {
    model: call.model,
    max_tokens: params.maxTokens,
    messages: call.messages.flatMap((message) =>
      message.role === 'system' ? [] : [{ role: message.role, content: message.content }],
    ),
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.topP === undefined ? {} : { top_p: params.topP }),
  };
  // Anthropic refuses keywords OpenAI strict mode accepts (numeric bounds, minItems > 1…), in both modes.
  const schema = anthropicSchemaOf(call.output.schema);
  if (mode === 'native') {
    body.output_config = { format: { type: 'json_schema', schema } };
  } else {
    body.tools = [
      { name: call.output.name, description: 'Record the answer.', input_schema: { type: 'object', ...schema } },
    ];
    body.tool_choice = { type: 'tool', name: call.output.name };
  }
  return body;
}

function anthropicSchemaOf(strictSchema: JsonSchema): JsonSchema {
  let schema = anthropicSchemas.get(strictSchema);
  if (schema === undefined) {
    schema = toAnthropicJsonSchema(strictSchema);
    anthropicSchemas.set(strictSchema, schema);
  }
  return schema;
}

function readReply(data: Message, requestId: string | null): ProviderReply {
  const base = {
    body: data,
    usage: { inputTokens: data.usage.input_tokens, outputTokens: data.usage.output_tokens },
    providerRequestId: requestId ?? data.id,
  };
  const text = data.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  if (data.stop_reason === 'refusal')
    return { ...base, outcome: 'refusal', refusal: text || 'the model declined to answer' };
  if (data.stop_reason === 'max_tokens') return { ...base, outcome: 'truncated', text };
  const toolUse = data.content.find((block) => block.type === 'tool_use');
  if (toolUse) return { ...base, outcome: 'value', value: toolUse.input };
  return { ...base, outcome: 'text', text };
}
