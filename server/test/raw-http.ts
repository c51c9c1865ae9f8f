import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as received, not decoded (a compressed body stays compressed). */
  bytes: Buffer;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** Sent as given, Host and Origin included (fetch() would not let a test set them). */
  headers?: OutgoingHttpHeaders;
  body?: string;
}

/** One HTTP request to the server at `baseUrl`, with exactly the headers given; rejects after 5 s. */
export function sendRaw(
  baseUrl: string,
  { method = 'GET', path, headers = {}, body }: RawRequest,
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method, headers, timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: bytes.toString('utf8'), bytes });
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** An open WebSocket with what it has received since it opened, and how it closed (once it has). */
export interface OpenedSocket {
  opened: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** How a WebSocket upgrade ended: opened, or refused with an HTTP answer. */
export type UpgradeOutcome = OpenedSocket | { refused: RawResponse };

/**
 * Opens a WebSocket with exactly these headers (Host, Origin…); resolves once it is open or refused, within 5 s.
 * Messages are collected from the start: a server may send one in the same packet as the upgrade's answer.
 */
export function openRawSocket(url: string, headers: Record<string, string> = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 5_000 });
    const messages: string[] = [];
    socket.on('message', (data: Buffer) => messages.push(data.toString('utf8')));
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) =>
      socket.once('close', (code, reason) => resolveClose({ code, reason: reason.toString('utf8') })),
    );
    socket.once('open', () => resolve({ opened: socket, messages, closed }));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({
          refused: { status: response.statusCode ?? 0, headers: response.headers, body: bytes.toString('utf8'), bytes },
        });
        socket.terminate();
      });
    });
    socket.once('error', reject);
  });
}

/** Every message of a socket and how it closed; rejects when it is still open after `timeoutMs`. */
export async function readUntilClosed(
  socket: OpenedSocket,
  timeoutMs = 5_000,
): Promise<{ messages: string[]; code: number; reason: string }> {
  const { code, reason } = await Promise.race([
    socket.closed,
    new Promise<never>((_resolve, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(`the socket was still open after ${timeoutMs} ms; messages: ${socket.messages.join(' | ')}`),
          ),
        timeoutMs,
      ).unref(),
    ),
  ]);
  return { messages: socket.messages, code, reason };
}

/**
 * A WebSocket upgrade whose request line carries `target` exactly as written (a client library would normalise it:
 * `/\\` becomes `//`); resolves with the status of the answer (101 when the socket opened), within 5 s.
 */
export function sendRawUpgrade(baseUrl: string, target: string): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(5_000, () => socket.destroy(new Error(`the upgrade to ${target} got no answer`)));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (!statusLine?.[1]) return;
      resolve(Number(statusLine[1]));
      socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the connection closed before the upgrade to ${target} was answered`)));
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}
