import { describe, expect, it } from 'vitest';
import type { ChainChange } from '../../chain-changes.js';
import { inboxMayChange } from './inbox-changes.js';

function change(type: ChainChange['type'], chainId: string): ChainChange {
  return { eventId: '1', chainId, type, status: null, name: null, logId: null, provider: null, model: null };
}

describe('inboxMayChange', () => {
  it("refetches for a new chain, and for a loaded message's chain ending a step or itself", () => {
    expect(inboxMayChange(change('chain_started', 'new'), ['shown'])).toBe(true);
    expect(inboxMayChange(change('step_finished', 'shown'), ['shown'])).toBe(true);
    expect(inboxMayChange(change('chain_finished', 'shown'), ['shown'])).toBe(true);
  });

  it('ignores a step starting, and chains whose message is not loaded', () => {
    expect(inboxMayChange(change('step_started', 'shown'), ['shown'])).toBe(false);
    expect(inboxMayChange(change('chain_finished', 'older'), ['shown'])).toBe(false);
  });
});
