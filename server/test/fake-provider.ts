import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { anthropicViolations, openaiStrictViolations } from './strict-schema-rules.js';

/** Token counts a reply reports; derived from the request and reply sizes when a reply does not give them. */
export type FakeUsage = { inputTokens: number; outputTokens: number };

/** One answer of the fake provider, in terms both APIs share; `delayMs` waits before answering. */
export type FakeReply =
  // OpenAI: message.content = JSON.stringify(value), finish_reason 'stop'. Anthropic: a tool_use block when the request
  // forces a tool (tool_choice {type: 'tool', name}), stop_reason 'tool_use'; otherwise a text block, 'end_turn'.
  | { kind: 'json'; value: unknown; usage?: FakeUsage; delayMs?: number }
  // The content exactly as given (e.g. malformed JSON); Anthropic: a text block, 'end_turn'.
  | { kind: 'text'; text: string; usage?: FakeUsage; delayMs?: number }
  // OpenAI: content null, refusal = message, finish_reason 'stop'. Anthropic: stop_reason 'refusal', a text block.
  | { kind: 'refusal'; message: string; usage?: FakeUsage; delayMs?: number }
  // OpenAI: finish_reason 'length'. Anthropic: stop_reason 'max_tokens'. Content = text.
  | { kind: 'truncated'; text: string; usage?: FakeUsage; delayMs?: number }
  // An HTTP error in the provider's own error-body shape, with extra response headers (e.g. {'retry-after-ms': '5'}).
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  // Never answers (for client timeouts); the socket is destroyed when the fake closes.
  | { kind: 'hang' }
  // The body exactly as given, not in the API's shape (a proxy's HTML page, a cut-off JSON body); status 200 by
  // default, content-type as given (none when null).
  | { kind: 'raw'; body: string; status?: number; contentType?: string | null; delayMs?: number }
  // Destroys the connection without answering (ECONNRESET at the client).
  | { kind: 'reset'; delayMs?: number };

/** A request as the fake received it: headers lower-cased, body parsed as JSON (the raw text when it is not JSON). */
export interface RecordedRequest {
  api: 'openai' | 'anthropic';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export type FakeResponder = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `${url}/v1`, the `baseURL` of `new OpenAI(...)`. */
  openaiBaseUrl: string;
  /** `url` without `/v1`: the Anthropic SDK adds `/v1/messages` itself. */
  anthropicBaseUrl: string;
  /** Every request received, in order, unknown routes included (recorded as api 'openai'). */
  requests: RecordedRequest[];
  /** Replies consumed first in, first out, one per routed request, before the responder is asked. */
  enqueue(...replies: FakeReply[]): void;
  /** The responder used when the queue is empty. */
  respondWith(responder: FakeResponder): void;
  /** Clears the queue, the recorded requests and the responder. Ids keep increasing so they stay unique. */
  reset(): void;
  /** Stops listening, destroys open sockets (hanging requests included) and resolves. Safe to call twice. */
  close(): Promise<void>;
}

type Api = RecordedRequest['api'];
type AnsweredReply = Exclude<FakeReply, { kind: 'status' } | { kind: 'hang' } | { kind: 'raw' } | { kind: 'reset' }>;
type ErrorReply = { status: number; message: string; param?: string; headers?: Record<string, string> };

const ROUTES = new Map<string, Api>([
  ['POST /v1/chat/completions', 'openai'],
  ['POST /v1/messages', 'anthropic'],
]);

/**
 * Starts a fake OpenAI Chat Completions / Anthropic Messages server on 127.0.0.1, port 0, for the real SDKs to call.
 * With nothing queued and no responder it answers 400 (not retried by the SDKs) naming the route.
 * Like the real APIs it answers 400, naming every problem and consuming no queued reply, when the schema of a
 * strict OpenAI `response_format`, an Anthropic `output_config.format` or a forced Anthropic tool breaks that
 * provider's rules (server/test/strict-schema-rules.ts).
 */
export async function startFakeProvider(options: { respond?: FakeResponder } = {}): Promise<FakeProvider> {
  let queue: FakeReply[] = [];
  let responder: FakeResponder | undefined = options.respond;
  let sequence = 0;
  const requests: RecordedRequest[] = [];
  const delays = new Set<NodeJS.Timeout>();

  function wait(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, delayMs);
      delays.add(timer);
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse, number: number): Promise<void> {
    const { method, path, api } = routeOf(request);
    const recorded: RecordedRequest = {
      api: api ?? 'openai',
      method,
      path,
      headers: lowerCaseHeaders(request.headers),
      body: parseBody(await readBody(request)),
    };
    requests.push(recorded);

    if (api === undefined) {
      const message = `fake provider: no route ${method} ${path}`;
      return sendError(response, 'openai', number, { status: 404, message });
    }
    if (!isRecord(recorded.body)) {
      return sendError(response, api, number, { status: 400, message: 'fake provider: the body is not a JSON object' });
    }
    if (recorded.body.stream === true) {
      return sendError(response, api, number, { status: 400, message: 'fake provider: streaming is not supported' });
    }
    const schemaError = api === 'openai' ? openaiSchemaError(recorded.body) : anthropicSchemaError(recorded.body);
    if (schemaError !== undefined) return sendError(response, api, number, schemaError);

    const reply = queue.shift() ?? (responder === undefined ? undefined : await responder(recorded));
    if (reply === undefined) {
      const message = `fake provider: no reply queued for ${api} ${path}`;
      return sendError(response, api, number, { status: 400, message });
    }
    if (reply.kind === 'hang') return;
    if (reply.delayMs !== undefined && reply.delayMs > 0) await wait(reply.delayMs);
    if (response.destroyed) return;

    if (reply.kind === 'reset') {
      response.socket?.destroy();
      return;
    }
    if (reply.kind === 'raw') {
      const contentType = reply.contentType === undefined ? 'text/html; charset=utf-8' : reply.contentType;
      return sendRaw(response, reply.status ?? 200, reply.body, {
        ...requestIdHeaders(api, number),
        ...(contentType === null ? {} : { 'content-type': contentType }),
      });
    }
    if (reply.kind === 'status') {
      return sendError(response, api, number, {
        status: reply.status,
        message: reply.message ?? `fake provider: status ${reply.status}`,
        headers: reply.headers,
      });
    }
    const { body } = recorded;
    const answer = api === 'openai' ? openaiCompletion(reply, body, number) : anthropicMessage(reply, body, number);
    send(response, 200, answer, requestIdHeaders(api, number));
  }

  const server = createServer((request, response) => {
    sequence += 1;
    const number = sequence;
    handle(request, response, number).catch((error: unknown) => {
      // A throwing responder is a bug in the test: answer once, and tell the SDKs not to retry it.
      const message = `fake provider: ${error instanceof Error ? error.message : String(error)}`;
      const api = routeOf(request).api ?? 'openai';
      sendError(response, api, number, { status: 500, message, headers: { 'x-should-retry': 'false' } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake provider: not listening on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    respondWith(next) {
      responder = next;
    },
    reset() {
      queue = [];
      requests.length = 0;
      responder = undefined;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of delays) clearTimeout(timer);
        delays.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function openaiCompletion(reply: AnsweredReply, body: Record<string, unknown>, number: number): OpenAI.ChatCompletion {
  const content = reply.kind === 'json' ? JSON.stringify(reply.value) : reply.kind === 'refusal' ? null : reply.text;
  const usage = reply.usage ?? deriveUsage(body, content ?? (reply.kind === 'refusal' ? reply.message : ''));
  return {
    id: `chatcmpl-fake-${number}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : 'fake-model',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: reply.kind === 'refusal' ? reply.message : null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: reply.kind === 'truncated' ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

function anthropicMessage(reply: AnsweredReply, body: Record<string, unknown>, number: number): Anthropic.Message {
  const forcedTool = forcedToolName(body);
  let content: Anthropic.ContentBlock;
  let stopReason: Anthropic.StopReason;
  let outputText: string;
  if (reply.kind === 'json') {
    outputText = JSON.stringify(reply.value);
    content =
      forcedTool === undefined
        ? { type: 'text', text: outputText, citations: null }
        : {
            type: 'tool_use',
            id: `toolu_fake_${number}`,
            name: forcedTool,
            input: reply.value,
            caller: { type: 'direct' },
          };
    stopReason = forcedTool === undefined ? 'end_turn' : 'tool_use';
  } else {
    outputText = reply.kind === 'refusal' ? reply.message : reply.text;
    content = { type: 'text', text: outputText, citations: null };
    stopReason = reply.kind === 'refusal' ? 'refusal' : reply.kind === 'truncated' ? 'max_tokens' : 'end_turn';
  }
  const usage = reply.usage ?? deriveUsage(body, outputText);
  return {
    id: `msg_fake_${number}`,
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : 'fake-model',
    content: [content],
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: reply.kind === 'refusal' ? { type: 'refusal', category: null, explanation: reply.message } : null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      server_tool_use: null,
      service_tier: 'standard',
      inference_geo: null,
      output_tokens_details: null,
      speed: null,
    },
  };
}

function routeOf(request: IncomingMessage): { method: string; path: string; api: Api | undefined } {
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
  return { method, path, api: ROUTES.get(`${method} ${path}`) };
}

/** A strict `json_schema` response format whose schema OpenAI would refuse, as OpenAI words the 400. */
function openaiSchemaError(body: Record<string, unknown>): ErrorReply | undefined {
  const format = body.response_format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.json_schema)) return undefined;
  const { name, strict, schema } = format.json_schema;
  if (strict !== true) return undefined;
  const problems = openaiStrictViolations(schema);
  if (problems.length === 0) return undefined;
  const message = `Invalid schema for response_format '${String(name)}': ${problems.join('; ')}`;
  return { status: 400, message, param: 'response_format' };
}

/**
 * The first structured-output schema Anthropic would refuse: `output_config.format`, or the forced tool's
 * `input_schema`. (Anthropic holds non-strict tools to full JSON Schema only; the fake holds a forced tool to the
 * structured-output rules, since that tool is how we ask for the structured answer.)
 */
function anthropicSchemaError(body: Record<string, unknown>): ErrorReply | undefined {
  const schemas: { where: string; schema: unknown }[] = [];
  const format = isRecord(body.output_config) ? body.output_config.format : undefined;
  if (isRecord(format) && format.type === 'json_schema') {
    schemas.push({ where: 'output_config.format.schema', schema: format.schema });
  }
  const forcedTool = forcedToolName(body);
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const toolIndex = tools.findIndex((tool) => isRecord(tool) && tool.name === forcedTool);
  const tool: unknown = tools[toolIndex];
  if (forcedTool !== undefined && isRecord(tool)) {
    schemas.push({ where: `tools.${toolIndex}.custom.input_schema`, schema: tool.input_schema });
  }
  for (const { where, schema } of schemas) {
    const problems = anthropicViolations(schema);
    if (problems.length > 0) return { status: 400, message: `${where}: ${problems.join('; ')}` };
  }
  return undefined;
}

function forcedToolName(body: Record<string, unknown>): string | undefined {
  const choice = body.tool_choice;
  return isRecord(choice) && choice.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined;
}

/** Deterministic stand-in for a tokenizer: about four characters a token. */
function deriveUsage(body: Record<string, unknown>, outputText: string): FakeUsage {
  const messages = JSON.stringify(body.messages) ?? '';
  return { inputTokens: Math.ceil(messages.length / 4), outputTokens: Math.ceil(outputText.length / 4) };
}

function sendError(response: ServerResponse, api: Api, number: number, error: ErrorReply): void {
  const body =
    api === 'openai'
      ? { error: { message: error.message, ...openaiErrorKind(error.status), param: error.param ?? null } }
      : {
          type: 'error',
          error: { type: anthropicErrorType(error.status), message: error.message },
          request_id: `req_fake_${number}`,
        };
  send(response, error.status, body, { ...requestIdHeaders(api, number), ...error.headers });
}

// Shapes as the providers send them: OpenAI's 429 type is 'requests' (or 'tokens') with code 'rate_limit_exceeded'.
function openaiErrorKind(status: number): { type: string; code: string | null } {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 404) return { type: 'invalid_request_error', code: 'unknown_url' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function anthropicErrorType(status: number): Anthropic.ErrorType {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 408:
    case 504:
      return 'timeout_error';
    case 409:
      return 'conflict_error';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function requestIdHeaders(api: Api, number: number): Record<string, string> {
  return { [api === 'openai' ? 'x-request-id' : 'request-id']: `req_fake_${number}` };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (response.destroyed || response.headersSent) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

function sendRaw(response: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return text;
    throw error;
  }
}

function lowerCaseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
