import { type Encoder, jsonEncoder } from '@trpc/server/adapters/ws';

/** Values that never change, each with its JSON once it was first written. */
const encodings = new WeakMap<object, string | undefined>();
/** Stands for a shared value while the rest of a message is serialised; a client's own text cannot end a message. */
const PLACEHOLDER = '\u0000shared value';
const QUOTED_PLACEHOLDER = JSON.stringify(PLACEHOLDER);

/**
 * Marks `value` as one that never changes, so that every WebSocket message carrying it as a tracked subscription
 * item reuses one JSON of it (sharedValueEncoder): a chain event sent to 3,000 subscribers is serialised once.
 */
export function encodeOnce<Value extends object>(value: Value): Value {
  if (!encodings.has(value)) encodings.set(value, undefined);
  return value;
}

/**
 * tRPC's WebSocket encoder (`experimental_encoder`): JSON, as tRPC's own, except that a tracked item marked with
 * encodeOnce is written from its cached JSON. The message around it (the subscription's id, which each client picks)
 * is serialised as usual, with a placeholder where the item goes.
 */
export const sharedValueEncoder: Encoder = {
  encode(message) {
    if (!isRecord(message) || !isRecord(message.result) || message.result.type !== 'data')
      return jsonEncoder.encode(message);
    const tracked = message.result.data;
    if (!isRecord(tracked) || !isRecord(tracked.data) || !encodings.has(tracked.data))
      return jsonEncoder.encode(message);
    const value = tracked.data;
    let json = encodings.get(value);
    if (json === undefined) {
      json = JSON.stringify(value);
      encodings.set(value, json);
    }
    const around = JSON.stringify({
      ...message,
      result: { ...message.result, data: { ...tracked, data: PLACEHOLDER } },
    });
    // The last occurrence: after the item come only the item's tracked id (ours, digits) and closing braces.
    const at = around.lastIndexOf(QUOTED_PLACEHOLDER);
    return around.slice(0, at) + json + around.slice(at + QUOTED_PLACEHOLDER.length);
  },
  decode: (data) => jsonEncoder.decode(data),
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
