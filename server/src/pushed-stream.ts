/**
 * The key of a stream's pushed form. A WebSocket subscriber of a stream that has one (see websocket-handler.ts) is
 * handed each item as it comes: nothing waits per subscriber but the stream's own state, where an async iterator
 * read by tRPC's adapter keeps a chain of about twenty pending promises per subscriber.
 */
export const PUSH = Symbol('push');

/** Takes a pushed stream's items. */
export interface ItemSink<Item> {
  item(item: Item): void;
  /** Nothing comes after: the stream completed or was stopped. */
  end(): void;
  /** The stream failed: nothing comes after. */
  fail(error: unknown): void;
}

/** A stream being pushed. */
export interface Pushing {
  /** Ends the stream: its sink's end() is called (at once, unless it already ended). */
  stop(): void;
}

/** An async iterable (what HTTP subscriptions and `createCaller` read) that can push its items instead, once. */
export interface PushableStream<Item> extends AsyncIterable<Item> {
  [PUSH](sink: ItemSink<Item>): Pushing;
}

/** An async iterator that can push its items instead of being iterated. */
export type PushableIterator<Item> = AsyncIterableIterator<Item> & PushableStream<Item>;

export function isPushable<Item>(value: AsyncIterable<Item>): value is PushableStream<Item>;
export function isPushable(value: unknown): value is PushableStream<unknown>;
export function isPushable(value: unknown): value is PushableStream<unknown> {
  return typeof value === 'object' && value !== null && PUSH in value;
}
