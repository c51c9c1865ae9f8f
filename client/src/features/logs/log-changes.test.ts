import { describe, expect, it } from 'vitest';
import type { ChainChange } from '../../chain-changes.js';
import { type ShownLogPage, facetsMayChange, logPageMayChange, logRowsMayBeAdded } from './log-changes.js';

const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const RUNNING = '0193e5a0-0000-7000-8000-00000000000a';
const OTHER = '0193e5a0-0000-7000-8000-00000000000b';

function change(type: ChainChange['type'], chainId = RUNNING, step: Partial<ChainChange> = {}): ChainChange {
  return {
    eventId: '1',
    chainId,
    type,
    status: type === 'chain_finished' ? 'succeeded' : null,
    name: null,
    logId: null,
    provider: null,
    model: null,
    ...step,
  };
}

type PageOverrides = Partial<Omit<ShownLogPage, 'filters'>> & { filters?: Partial<ShownLogPage['filters']> };

function page({ filters, ...overrides }: PageOverrides = {}): ShownLogPage {
  return {
    cursor: null,
    items: [{ chainId: OTHER, status: 'ok' }],
    nextCursor: 'some-log-id',
    ...overrides,
    filters: { chainId: null, order: 'desc', to: null, ...filters },
  };
}

describe('logPageMayChange', () => {
  it("takes a step's end to the first page newest-first, where its rows land, and to no deeper page", () => {
    expect(logPageMayChange(change('step_finished'), page(), NOW)).toBe(true);
    expect(logPageMayChange(change('step_failed'), page(), NOW)).toBe(true);
    expect(logPageMayChange(change('step_finished'), page({ cursor: 'a-log-id' }), NOW)).toBe(false);
  });

  it('takes it oldest-first only to the last page', () => {
    const asc = { filters: { order: 'asc' as const } };
    expect(logPageMayChange(change('step_finished'), page({ ...asc, nextCursor: null }), NOW)).toBe(true);
    expect(logPageMayChange(change('step_finished'), page({ ...asc, cursor: null }), NOW)).toBe(false);
  });

  it('ignores steps starting and chains starting or ending, whose events write no row', () => {
    for (const type of ['chain_started', 'step_started', 'chain_finished'] as const)
      expect(logPageMayChange(change(type), page(), NOW), type).toBe(false);
  });

  it("ignores another chain's events on a page filtered to one chain", () => {
    const filtered = page({ filters: { chainId: OTHER } });
    expect(logPageMayChange(change('step_finished', RUNNING), filtered, NOW)).toBe(false);
    expect(logPageMayChange(change('step_finished', OTHER), filtered, NOW)).toBe(true);
  });

  it('ignores new rows on a page of a time range that ended before now', () => {
    expect(logPageMayChange(change('step_finished'), page({ filters: { to: '2026-12-01T00:00:00.000Z' } }), NOW)).toBe(
      false,
    );
    expect(logPageMayChange(change('step_finished'), page({ filters: { to: '2026-12-04T00:00:00.000Z' } }), NOW)).toBe(
      true,
    );
  });

  it("refetches any page that shows a pending row of the chain, even deep or at the chain's end", () => {
    const deep = page({ cursor: 'a-log-id', items: [{ chainId: RUNNING, status: 'pending' }] });
    expect(logPageMayChange(change('step_finished'), deep, NOW)).toBe(true);
    expect(logPageMayChange({ ...change('chain_finished'), status: 'interrupted' }, deep, NOW)).toBe(true);
    expect(logPageMayChange(change('step_started'), deep, NOW)).toBe(false);
  });
});

describe('logRowsMayBeAdded', () => {
  it("counts a step's end for the filter's total, on whatever page", () => {
    expect(logRowsMayBeAdded(change('step_finished'), page({ cursor: 'deep' }).filters, NOW)).toBe(true);
    expect(logRowsMayBeAdded(change('chain_finished'), page().filters, NOW)).toBe(false);
    expect(logRowsMayBeAdded(change('step_failed'), page({ filters: { chainId: OTHER } }).filters, NOW)).toBe(false);
  });
});

describe('facetsMayChange', () => {
  const facets = { names: ['intent recognition'], providers: ['openai'], models: ['gpt-4.1-mini'] };
  const known = { name: 'intent recognition', provider: 'openai', model: 'gpt-4.1-mini' };

  it('is false while the menus already offer the step’s task, provider and model', () => {
    expect(facetsMayChange(change('step_finished', RUNNING, known), facets)).toBe(false);
    expect(facetsMayChange(change('step_failed', RUNNING, { name: 'intent recognition' }), facets)).toBe(false);
  });

  it('is true for a task, provider or model they lack', () => {
    expect(facetsMayChange(change('step_finished', RUNNING, { ...known, model: 'gpt-5' }), facets)).toBe(true);
    expect(facetsMayChange(change('step_finished', RUNNING, { ...known, provider: 'anthropic' }), facets)).toBe(true);
    expect(facetsMayChange(change('step_failed', RUNNING, { name: 'reply drafting' }), facets)).toBe(true);
  });

  it('is false for events that name no step, and while the menus have not loaded', () => {
    expect(facetsMayChange(change('chain_finished'), facets)).toBe(false);
    expect(facetsMayChange(change('step_finished', RUNNING, { ...known, model: 'gpt-5' }), undefined)).toBe(false);
  });
});
