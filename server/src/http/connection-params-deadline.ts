import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { parseUpgradeUrl } from './upgrade-url.js';

/** The close code when a WebSocket that announced connectionParams did not send them in time. */
export const CONNECTION_PARAMS_TIMEOUT_CODE = 4408;

/**
 * A WebSocket opened with `?connectionParams=1` must send its connectionParams message first (the token travels in
 * it). tRPC waits for that message without end, so a client that never sends it would hold one of its address's
 * places for as long as it likes: it is closed once `timeoutMs` pass without a message.
 */
export function closeConnectionsWithoutParams(wss: WebSocketServer, timeoutMs: number): void {
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    // Read as tRPC's handler reads it (it waits for the message exactly when this is "1").
    if (parseUpgradeUrl(request)?.searchParams.get('connectionParams') !== '1') return;
    const timer = setTimeout(
      () => socket.close(CONNECTION_PARAMS_TIMEOUT_CODE, `connectionParams not sent within ${timeoutMs} ms`),
      timeoutMs,
    );
    const settle = () => {
      clearTimeout(timer);
      socket.off('message', onMessage);
    };
    // tRPC answers PING and ignores PONG while it still waits: keep-alive traffic does not count as the params.
    const onMessage = (data: unknown) => {
      const text = String(data);
      if (text !== 'PING' && text !== 'PONG') settle();
    };
    socket.on('message', onMessage);
    socket.once('close', settle);
  });
}
