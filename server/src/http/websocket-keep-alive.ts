import type { WebSocket, WebSocketServer } from 'ws';

export interface KeepAliveOptions {
  /** How long a socket may stay silent before it is sent PING, in ms (tRPC's default: 30 s). */
  pingMs: number;
  /** How long a socket that was sent PING may stay silent before it is dropped, in ms (tRPC's default: 5 s). */
  pongWaitMs: number;
}

export const DEFAULT_KEEP_ALIVE: Readonly<KeepAliveOptions> = { pingMs: 30_000, pongWaitMs: 5_000 };

/**
 * tRPC's WebSocket keep-alive (its clients answer `PING` with `PONG`) for every socket of `wss` on one timer, instead
 * of tRPC's own, which holds two timers, three closures and a listener per socket and starts a new timer on every
 * message. Every `min(pingMs, pongWaitMs)`, a socket silent for `pingMs` is sent PING, and one still silent
 * `pongWaitMs` after its PING is terminated (a dead peer, a half-open connection); each happens up to one round late.
 * So is a socket with more than `maxBufferedBytes` waiting to be sent (a client reading too slowly: tRPC's adapter
 * sends without looking; pushed subscriptions look at each send). Returns the function that stops it.
 */
export function keepWebSocketsAlive(
  wss: WebSocketServer,
  options: KeepAliveOptions,
  maxBufferedBytes = Number.POSITIVE_INFINITY,
): () => void {
  const heardAt = new WeakMap<WebSocket, number>();
  const pingedAt = new WeakMap<WebSocket, number>();
  // One listener for every socket (ws calls it with the socket as `this`): nothing per socket but two numbers.
  function heard(this: WebSocket): void {
    heardAt.set(this, Date.now());
  }
  wss.on('connection', (socket) => {
    heardAt.set(socket, Date.now());
    socket.on('message', heard);
  });
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const socket of wss.clients) {
        const silentSince = heardAt.get(socket) ?? now;
        const pinged = pingedAt.get(socket);
        if (socket.bufferedAmount > maxBufferedBytes) {
          socket.terminate();
        } else if (pinged !== undefined && silentSince < pinged) {
          if (now - pinged >= options.pongWaitMs) socket.terminate();
        } else if (now - silentSince >= options.pingMs && socket.readyState === socket.OPEN) {
          socket.send('PING');
          pingedAt.set(socket, now);
        }
      }
    },
    Math.min(options.pingMs, options.pongWaitMs),
  );
  timer.unref();
  return () => clearInterval(timer);
}
