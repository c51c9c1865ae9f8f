import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import {
  type CreateWSSContextFnOptions,
  type Encoder,
  type WSSHandlerOptions,
  getWSConnectionHandler,
} from '@trpc/server/adapters/ws';
import type { TRPCReconnectNotification } from '@trpc/server/rpc';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import { type MessageListener, PushedConnection, type PushedProtocol } from './pushed-subscriptions.js';

export interface WebSocketHandlerOptions<TRouter extends AnyTRPCRouter> {
  wss: WebSocketServer;
  router: TRouter;
  createContext: (options: CreateWSSContextFnOptions) => inferRouterContext<TRouter>;
  onError: WSSHandlerOptions<TRouter>['onError'];
  encoder: Encoder;
  /**
   * Subscriptions served by pushing their items (PushedConnection) instead of by tRPC's adapter, which holds a chain
   * of about twenty promises, an AbortController and a dozen closures per subscriber while it waits for an item.
   * Each must answer a pushable stream (pushed-stream.ts).
   */
  pushedPaths: readonly string[];
  /** A socket with more than this waiting to be sent when something is pushed on it is dropped (Limits). */
  maxBufferedBytes: number;
}

/**
 * tRPC's WebSocket adapter (what applyWSSHandler does) with the subscriptions of `pushedPaths` served on the same
 * sockets, in the same protocol, by pushing (see PushedConnection): a `@trpc/client` wsLink cannot tell them apart.
 */
export function applyWebSocketHandler<TRouter extends AnyTRPCRouter>(options: WebSocketHandlerOptions<TRouter>) {
  const { wss, router, createContext, onError, encoder } = options;
  const connections = new WeakMap<WebSocket, PushedConnection<TRouter>>();
  const protocol: PushedProtocol<TRouter> = {
    router,
    encoder,
    onError,
    paths: new Set(options.pushedPaths),
    open: 0,
    maxBufferedBytes: options.maxBufferedBytes,
  };
  const trpcConnection = getWSConnectionHandler<TRouter>({
    wss,
    router,
    onError,
    experimental_encoder: encoder,
    // tRPC makes one context per connection, at once or from its connectionParams message: ours use the same one.
    createContext(contextOptions) {
      const context = createContext(contextOptions);
      const connection = connections.get(contextOptions.res);
      if (connection) connection.context = context;
      return context;
    },
  });
  // Shared by every socket (ws calls a listener with its socket as `this`): nothing per socket but its connection.
  function receive(this: WebSocket, data: RawData, isBinary: boolean): void {
    connections.get(this)?.receive(data, isBinary);
  }
  function closed(this: WebSocket): void {
    connections.get(this)?.close();
  }
  // `on`, not `once` (a wrapper per socket): a socket closes once.
  const watchClose = (socket: WebSocket) => socket.on('close', closed);

  wss.on('connection', (socket, request) => {
    // Known before tRPC's handler runs: it may make the context at once.
    const connection = new PushedConnection(socket, request, protocol, watchClose);
    connections.set(socket, connection);
    connection.trpcListener = takeListenerAdded(socket, 'message', () => trpcConnection(socket, request));
    socket.on('message', receive);
  });

  return {
    /** How many subscriptions of `pushedPaths` are served now, starting or pushed. */
    pushedSubscriptions: () => protocol.open,
    /** Tells every open socket's client to reconnect (tRPC's `reconnect` notification). */
    broadcastReconnectNotification(): void {
      const notification: TRPCReconnectNotification = { id: null, method: 'reconnect' };
      const data = encoder.encode(notification);
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(data);
    },
  };
}

/** Runs `add`, which adds one `event` listener to `socket`, and takes that listener off again: the caller calls it. */
function takeListenerAdded(socket: WebSocket, event: 'message', add: () => void): MessageListener {
  const before = socket.listeners(event);
  add();
  const added = socket.listeners(event).filter((listener) => !before.includes(listener));
  const [listener] = added;
  if (added.length !== 1 || !listener)
    throw new Error(`tRPC's WebSocket handler added ${added.length} ${event} listeners, not one`);
  socket.off(event, listener as MessageListener);
  return listener as MessageListener;
}
