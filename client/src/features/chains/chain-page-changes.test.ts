import { describe, expect, it } from 'vitest';
import type { ChainChange } from '../../chain-changes.js';
import { chainPageMayChange } from './chain-page-changes.js';

// UUID v7 ids in time order: their string order is their order on the Chains page (newest first).
const ids = Array.from({ length: 6 }, (_, index) => `0193e5a0-000${index}-7000-8000-000000000000`);

function change(type: ChainChange['type'], chainId: string): ChainChange {
  return { eventId: '1', chainId, type, status: null, name: null, logId: null, provider: null, model: null };
}

describe('chainPageMayChange', () => {
  // Newest first: the first page holds ids[5..3], the second ids[2..1] (and ids[0] below it on a third).
  const first = {
    cursor: null,
    items: [{ id: ids[5] ?? '' }, { id: ids[4] ?? '' }, { id: ids[3] ?? '' }],
    nextCursor: ids[3] ?? '',
  };
  const second = {
    cursor: ids[3] ?? null,
    items: [{ id: ids[2] ?? '' }, { id: ids[1] ?? '' }],
    nextCursor: ids[1] ?? '',
  };

  it('refetches the page whose id range holds the chain, a new chain landing on the first', () => {
    const newest = '0193e5a0-0009-7000-8000-000000000000';
    expect(chainPageMayChange(change('chain_started', newest), first)).toBe(true);
    expect(chainPageMayChange(change('chain_started', newest), second)).toBe(false);
    expect(chainPageMayChange(change('chain_finished', ids[2] ?? ''), second)).toBe(true);
    expect(chainPageMayChange(change('chain_finished', ids[2] ?? ''), first)).toBe(false);
    expect(chainPageMayChange(change('step_finished', ids[0] ?? ''), second)).toBe(false);
  });

  it('refetches the last page for any chain below its cursor, and ignores a step starting', () => {
    const last = { ...second, nextCursor: null };
    expect(chainPageMayChange(change('step_failed', ids[0] ?? ''), last)).toBe(true);
    expect(chainPageMayChange(change('step_started', ids[2] ?? ''), last)).toBe(false);
  });
});
