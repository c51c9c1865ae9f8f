import { describe, expect, it } from 'vitest';
import { encodeOnce, sharedValueEncoder } from './shared-encoding.js';

/** A tracked subscription item as tRPC's ws adapter hands it to the encoder. */
function dataMessage(subscriptionId: number | string, item: object) {
  return { id: subscriptionId, jsonrpc: '2.0', result: { type: 'data', data: { id: '42', data: item }, id: '42' } };
}

describe('the shared-value WebSocket encoder', () => {
  it('writes a message carrying a shared item exactly as JSON.stringify does, for any subscription id', () => {
    const item = encodeOnce({
      id: '42',
      payload: { type: 'step_finished', output: { text: 'naïve "quoted" \u0000' } },
    });
    for (const subscriptionId of [1, 'a"b', '\u0000shared value']) {
      const message = dataMessage(subscriptionId, item);
      expect(sharedValueEncoder.encode(message)).toBe(JSON.stringify(message));
    }
  });

  it('serialises a shared item once and reuses that JSON for every message after', () => {
    const item = encodeOnce({ id: '42', status: 'first' });
    sharedValueEncoder.encode(dataMessage(1, item));
    // Shared items never change; this one does, to show that its JSON was not written again.
    item.status = 'changed';
    expect(sharedValueEncoder.encode(dataMessage(2, item))).toContain('"status":"first"');
  });

  it('writes every other message as it is now', () => {
    const item = { id: '42', status: 'first' };
    const message = dataMessage(1, item);
    expect(sharedValueEncoder.encode(message)).toBe(JSON.stringify(message));
    item.status = 'changed';
    expect(sharedValueEncoder.encode(message)).toContain('"status":"changed"');
    const started = { id: 1, result: { type: 'started' } };
    expect(sharedValueEncoder.encode(started)).toBe(JSON.stringify(started));
  });
});
