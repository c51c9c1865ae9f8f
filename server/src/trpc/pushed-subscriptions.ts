import type { IncomingMessage } from 'node:http';
import {
  type AnyTRPCRouter,
  TRPCError,
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  type inferRouterContext,
  isTrackedEnvelope,
  transformTRPCResponse,
} from '@trpc/server';
import type { Encoder, WSSHandlerOptions } from '@trpc/server/adapters/ws';
import {
  type TRPCClientOutgoingMessage,
  type TRPCRequestMessage,
  type TRPCResponseMessage,
  type TRPCResultMessage,
  parseTRPCMessage,
} from '@trpc/server/rpc';
import type { RawData, WebSocket } from 'ws';
import { log } from '../log.js';
import { type ItemSink, PUSH, type Pushing, isPushable } from '../pushed-stream.js';

/** What every connection's pushed subscriptions share. */
export interface PushedProtocol<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  encoder: Encoder;
  onError: WSSHandlerOptions<TRouter>['onError'];
  /** The subscription procedures served here; each must answer a pushable stream (pushed-stream.ts). */
  paths: ReadonlySet<string>;
  /** How many subscriptions are served here now, starting or pushed, on every connection. */
  open: number;
  /** A socket with more than this waiting to be sent is dropped: its client reads too slowly (Limits). */
  maxBufferedBytes: number;
}

export type MessageListener = (data: RawData, isBinary: boolean) => void;
type RequestId = string | number;
type JsonRpc = '2.0' | undefined;

/** The messages of one frame that are ours, and the frame tRPC gets with the others (undefined when none are left). */
interface TakenFrame {
  ours: { message: TRPCClientOutgoingMessage; batchIndex: number }[];
  rest: { data: Buffer; isBinary: boolean } | undefined;
}

const WEBSOCKET_OPEN = 1;
const slowLog = log.withTag('limits');
const ignore: MessageListener = () => undefined;

/**
 * One WebSocket connection's subscriptions to the pushed paths, served on the socket tRPC's adapter serves: their
 * `subscription` messages and `subscription.stop`s are answered here, in tRPC's protocol (the messages its adapter
 * sends and its wsLink reads: started, tracked data, stopped, errors shaped by the router's error formatter), after
 * tRPC's own checks (the procedure is called with callTRPCProcedure: middlewares, input, context). Every other
 * message goes to tRPC's listener unchanged; so does every message until tRPC has made the connection's context
 * (a connection that sends connectionParams), or when tRPC could not make it (tRPC then answers its error).
 */
export class PushedConnection<TRouter extends AnyTRPCRouter> {
  /** The context tRPC made for the connection; the procedures called here get it. */
  context: inferRouterContext<TRouter> | undefined;
  /** tRPC's message listener for this socket (taken off it): gets what is not ours. */
  trpcListener: MessageListener = ignore;
  private subscriptions: Map<RequestId, PushedSubscription<TRouter>> | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly request: IncomingMessage,
    readonly protocol: PushedProtocol<TRouter>,
    /** Called the first time a subscription is pushed here: the socket's close must then stop them. */
    private readonly watchClose: (socket: WebSocket) => void,
  ) {}

  receive(data: RawData, isBinary: boolean): void {
    const taken = this.take(data, isBinary);
    if (!taken) {
      this.trpcListener.call(this.socket, data, isBinary);
      return;
    }
    for (const { message, batchIndex } of taken.ours) this.handle(message, batchIndex);
    if (taken.rest) this.trpcListener.call(this.socket, taken.rest.data, taken.rest.isBinary);
  }

  /** The socket closed: its subscriptions stop. */
  close(): void {
    for (const subscription of this.subscriptions?.values() ?? []) subscription.stop();
  }

  respond(message: TRPCResponseMessage): void {
    const { socket } = this;
    if (socket.readyState !== WEBSOCKET_OPEN) return;
    const { router, encoder, maxBufferedBytes } = this.protocol;
    socket.send(encoder.encode(transformTRPCResponse(router._def._config, message)));
    // Pushed to thousands from one publisher, nothing else bounds what a slow reader holds here. Dropped, its client
    // reconnects and resumes from the stored events; closing would queue the close frame behind what is waiting.
    if (socket.bufferedAmount > maxBufferedBytes) {
      slowLog.warn(`dropped a WebSocket whose client is ${socket.bufferedAmount} bytes behind`);
      socket.terminate();
    }
  }

  /** Answers a failed request as tRPC's adapter does: onError, then the error shaped by the router's formatter. */
  respondError(id: RequestId, jsonrpc: JsonRpc, cause: unknown, path: string, input: unknown): void {
    const error = getTRPCErrorFromUnknown(cause);
    const { context: ctx, request: req } = this;
    this.protocol.onError?.({ error, path, type: 'subscription', ctx, req, input });
    const config = this.protocol.router._def._config;
    this.respond({ id, jsonrpc, error: getErrorShape({ config, error, type: 'subscription', path, input, ctx }) });
  }

  forget(subscription: PushedSubscription<TRouter>): void {
    if (this.subscriptions?.get(subscription.id) !== subscription) return;
    this.subscriptions.delete(subscription.id);
    this.protocol.open--;
  }

  /**
   * The frame's messages that are ours (subscriptions to the pushed paths, stops of ours), or null to give it all to
   * tRPC: a frame that is binary, not JSON or holds a malformed message (tRPC answers it), or has none of ours.
   */
  private take(data: RawData, isBinary: boolean): TakenFrame | null {
    // Cheap first: no "subscription" in the bytes, no subscription message.
    if (!this.context || isBinary || !Buffer.isBuffer(data) || !data.includes('subscription')) return null;
    let frame: unknown;
    let messages: TRPCClientOutgoingMessage[];
    try {
      frame = this.protocol.encoder.decode(data.toString('utf8'));
      const transformer = this.protocol.router._def._config.transformer;
      messages = (Array.isArray(frame) ? frame : [frame]).map((raw) => parseTRPCMessage(raw, transformer));
    } catch {
      return null;
    }
    const ours: TakenFrame['ours'] = [];
    const rest: unknown[] = [];
    // A stop may follow its subscription in the same frame.
    const subscribedHere = new Set<RequestId>();
    messages.forEach((message, batchIndex) => {
      if (this.isOurs(message, subscribedHere)) ours.push({ message, batchIndex });
      else rest.push(Array.isArray(frame) ? frame[batchIndex] : frame);
    });
    if (ours.length === 0) return null;
    if (rest.length === 0) return { ours, rest: undefined };
    let encoded: string | Uint8Array;
    try {
      encoded = this.protocol.encoder.encode(Array.isArray(frame) ? rest : rest[0]);
    } catch {
      // JSON.parse takes nesting that JSON.stringify recurses too deep for: tRPC gets the frame as it came.
      return null;
    }
    return typeof encoded === 'string'
      ? { ours, rest: { data: Buffer.from(encoded), isBinary: false } }
      : { ours, rest: { data: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), isBinary: true } };
  }

  private isOurs(message: TRPCClientOutgoingMessage, subscribedHere: Set<RequestId>): boolean {
    const { id } = message;
    if (id === null) return false;
    if (message.method === 'subscription.stop') return subscribedHere.has(id) || (this.subscriptions?.has(id) ?? false);
    if (message.method !== 'subscription' || !this.protocol.paths.has(message.params.path)) return false;
    subscribedHere.add(id);
    return true;
  }

  private handle(message: TRPCClientOutgoingMessage, batchIndex: number): void {
    if (message.id === null) return;
    if (message.method === 'subscription.stop') this.subscriptions?.get(message.id)?.stop();
    else if (message.method === 'subscription') this.subscribe(message.id, message, batchIndex);
  }

  private subscribe(id: RequestId, message: TRPCRequestMessage, batchIndex: number): void {
    const input = inputWithLastEventId(message);
    const { path } = message.params;
    if (this.subscriptions?.has(id)) {
      const duplicate = new TRPCError({ message: `Duplicate id ${id}`, code: 'BAD_REQUEST' });
      this.respondError(id, message.jsonrpc, duplicate, path, input);
      return;
    }
    if (!this.subscriptions) {
      this.subscriptions = new Map();
      this.watchClose(this.socket);
    }
    const subscription = new PushedSubscription(this, id, message.jsonrpc, path, input);
    this.subscriptions.set(id, subscription);
    this.protocol.open++;
    subscription.start(batchIndex);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** tRPC's adapter puts the message's lastEventId into the input the procedure gets. */
function inputWithLastEventId(message: TRPCRequestMessage): unknown {
  const { input, lastEventId } = message.params;
  if (lastEventId === undefined) return input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return { ...input, lastEventId };
  return input ?? { lastEventId };
}

/**
 * One pushed subscription: the procedure called, `started`, then each item as the stream pushes it, and `stopped`
 * when it ends (after the error when it fails). Holds its id and the stream being pushed, nothing per item.
 */
class PushedSubscription<TRouter extends AnyTRPCRouter> implements ItemSink<unknown> {
  private pushing: Pushing | undefined;
  private stopped = false;

  constructor(
    private readonly connection: PushedConnection<TRouter>,
    readonly id: RequestId,
    private readonly jsonrpc: JsonRpc,
    private readonly path: string,
    private readonly input: unknown,
  ) {}

  /** Calls the procedure and pushes its stream; a failure is answered as tRPC answers it. */
  start(batchIndex: number): void {
    this.call(batchIndex).catch((cause: unknown) => {
      this.connection.forget(this);
      this.connection.respondError(this.id, this.jsonrpc, cause, this.path, this.input);
    });
  }

  private async call(batchIndex: number): Promise<void> {
    const { connection, id, jsonrpc, path, input } = this;
    const stream = await callTRPCProcedure({
      router: connection.protocol.router,
      path,
      getRawInput: async () => input,
      ctx: connection.context,
      type: 'subscription',
      // Stopped through the stream instead (Pushing.stop): a signal would hold an AbortController per subscriber.
      signal: undefined,
      batchIndex,
    });
    if (!isPushable(stream)) {
      if (isAsyncIterable(stream)) await stream[Symbol.asyncIterator]().return?.();
      throw new TRPCError({
        message: `Subscription ${path} did not return a pushable stream`,
        code: 'INTERNAL_SERVER_ERROR',
      });
    }
    if (this.stopped || connection.socket.readyState !== WEBSOCKET_OPEN) {
      // Never pushed: returning its iterator gives back what the procedure took (the subscription slot).
      await stream[Symbol.asyncIterator]().return?.();
      return this.end();
    }
    connection.respond({ id, jsonrpc, result: { type: 'started' } });
    this.pushing = stream[PUSH](this);
  }

  stop(): void {
    if (this.pushing) this.pushing.stop();
    else this.stopped = true;
  }

  item(value: unknown): void {
    const result: TRPCResultMessage<unknown>['result'] = isTrackedEnvelope(value)
      ? // tRPC's key order: the shared encoder finds the item before the tracked id.
        { type: 'data', data: { id: value[0], data: value[1] }, id: value[0] }
      : { type: 'data', data: value };
    // Pushed from the publisher of the chain's event: a failure here must end this subscriber, not reach it.
    try {
      this.connection.respond({ id: this.id, jsonrpc: this.jsonrpc, result });
    } catch (error) {
      this.stop();
      this.connection.protocol.onError?.({
        error: getTRPCErrorFromUnknown(error),
        path: this.path,
        type: 'subscription',
        ctx: this.connection.context,
        req: this.connection.request,
        input: this.input,
      });
    }
  }

  end(): void {
    this.connection.forget(this);
    this.connection.respond({ id: this.id, jsonrpc: this.jsonrpc, result: { type: 'stopped' } });
  }

  fail(error: unknown): void {
    this.connection.respondError(this.id, this.jsonrpc, error, this.path, this.input);
    this.end();
  }
}
