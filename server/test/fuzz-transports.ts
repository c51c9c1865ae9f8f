import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { z } from 'zod';

/**
 * The two ways the fuzz test (server/src/routers/fuzz.test.ts) reaches the real server: raw HTTP requests, and a raw
 * WebSocket speaking tRPC's JSON messages. Both send text exactly as given, so malformed input reaches the server.
 */

const ANSWER_TIMEOUT_MS = 10_000;

export interface HttpAnswer {
  status: number;
  contentType: string;
  /** The body, or its first chunk for a stream (an HTTP subscription answers with server-sent events). */
  body: string;
}

export interface HttpRequestText {
  method: string;
  /** Sent as is: percent-encoding and all (only characters U+0021–U+00FF are possible on the wire). */
  path: string;
  body?: string | undefined;
  contentType?: string | undefined;
}

/** One HTTP request; a stream is cut after its first chunk. Rejects when no answer comes within 10 s. */
export function sendHttp(baseUrl: string, { method, path, body, contentType }: HttpRequestText): Promise<HttpAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const headers =
    body === undefined
      ? {}
      : { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, path, method, headers, timeout: ANSWER_TIMEOUT_MS },
      (response) => {
        const answer = {
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
        };
        const chunks: Buffer[] = [];
        if (answer.contentType.startsWith('text/event-stream')) {
          response.once('data', (chunk: Buffer) => {
            resolve({ ...answer, body: chunk.toString('utf8') });
            request.destroy();
          });
          return;
        }
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ ...answer, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`${method} ${path.slice(0, 200)} got no answer within ${ANSWER_TIMEOUT_MS} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
}

export type ProcedureType = 'query' | 'mutation' | 'subscription';

export interface ProcedureCall {
  path: string;
  type: ProcedureType;
  /** The input as JSON text (possibly malformed), or undefined for none. */
  input: string | undefined;
}

/**
 * The HTTP request tRPC's links make for these calls: a query or subscription as GET with `?input=`, a mutation as
 * POST with the input as body; several calls batched as `/trpc/a,b?batch=1` with inputs keyed "0", "1"…
 * (their method is the first call's, as a client that mixes them would send).
 */
export function httpRequestFor(calls: readonly ProcedureCall[], batch: boolean): HttpRequestText {
  const first = calls[0];
  if (!first) throw new Error('no call to send');
  const path = `/trpc/${calls.map((call) => call.path).join(',')}`;
  const inputText = batch
    ? `{${calls.flatMap((call, index) => (call.input === undefined ? [] : [`"${index}":${call.input}`])).join(',')}}`
    : first.input;
  if (first.type === 'mutation') return { method: 'POST', path: batch ? `${path}?batch=1` : path, body: inputText };
  const query = [batch ? 'batch=1' : '', inputText === undefined ? '' : `input=${encodeURIComponent(inputText)}`]
    .filter(Boolean)
    .join('&');
  return { method: 'GET', path: query ? `${path}?${query}` : path };
}

/** A message the server sends on a socket: an answer to a request id (or to none, for a message it could not read). */
const wsAnswerSchema = z.looseObject({
  id: z.unknown().optional(),
  result: z.looseObject({ type: z.string().optional() }).optional(),
  error: z
    .looseObject({
      code: z.number().optional(),
      message: z.string().optional(),
      data: z.looseObject({ code: z.string().optional(), httpStatus: z.number().optional() }).optional(),
    })
    .optional(),
});
export type WsAnswer = z.infer<typeof wsAnswerSchema>;

/** A raw tRPC WebSocket: send text, wait for the answer to an id, see every message and whether it closed. */
export class WsSession {
  readonly messages: WsAnswer[] = [];
  /** Messages that were not JSON objects of a tRPC answer's shape (tRPC never sends those). */
  readonly strayMessages: string[] = [];
  /** Whether a message sent was over the server's bound, which closes the socket with 1009. */
  sentOversize = false;
  closedWith: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Map<number, (answer: WsAnswer) => void>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly maxMessageBytes: number,
  ) {
    socket.on('message', (data: Buffer) => this.receive(data.toString('utf8')));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString('utf8') };
        resolve(this.closedWith);
      }),
    );
  }

  /** Opens a socket to a server whose WebSocket messages are bounded by `maxMessageBytes`. */
  static open(wsUrl: string, maxMessageBytes: number): Promise<WsSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, { handshakeTimeout: ANSWER_TIMEOUT_MS });
      const session = new WsSession(socket, maxMessageBytes);
      socket.once('open', () => resolve(session));
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    if (Buffer.byteLength(text) > this.maxMessageBytes) this.sentOversize = true;
    this.socket.send(text);
  }

  /**
   * Sends a request with this id and resolves with the first message answering it; rejects after 10 s. When the
   * input text makes the message malformed JSON, no answer can name the id: it resolves with undefined at once.
   */
  request(
    id: number,
    method: string,
    params: { path: string; inputText: string | undefined },
  ): Promise<WsAnswer | undefined> {
    const input = params.inputText === undefined ? '' : `,"input":${params.inputText}`;
    const message = `{"id":${id},"method":${JSON.stringify(method)},"params":{"path":${JSON.stringify(params.path)}${input}}}`;
    if (!isJson(message)) {
      this.send(message);
      return Promise.resolve(undefined);
    }
    const answered = new Promise<WsAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(
          new Error(
            `no answer to ${method} ${params.path} (id ${id}) within ${ANSWER_TIMEOUT_MS} ms; closed: ${JSON.stringify(this.closedWith)}`,
          ),
        );
      }, ANSWER_TIMEOUT_MS);
      this.waiters.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    this.send(message);
    return answered;
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.socket.terminate();
  }

  private receive(text: string): void {
    // tRPC's keep-alive: it answers a client's PING with PONG.
    if (text === 'PONG') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.strayMessages.push(text);
      return;
    }
    const answers: unknown[] = Array.isArray(message) ? message : [message];
    for (const item of answers) {
      const parsed = wsAnswerSchema.safeParse(item);
      if (!parsed.success) {
        this.strayMessages.push(text);
        continue;
      }
      const answer = parsed.data;
      this.messages.push(answer);
      if (typeof answer.id !== 'number') continue;
      this.waiters.get(answer.id)?.(answer);
      this.waiters.delete(answer.id);
    }
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether a tRPC error answer (HTTP body or WebSocket message) is the server's own failure. */
export function isServerFailure(answer: WsAnswer): boolean {
  return (
    answer.error?.data?.code === 'INTERNAL_SERVER_ERROR' ||
    (answer.error?.data?.httpStatus ?? 0) >= 500 ||
    answer.error?.code === -32603
  );
}
