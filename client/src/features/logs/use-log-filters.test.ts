import { describe, expect, it } from 'vitest';
import { instantParamOrNull } from './use-log-filters.js';

describe('a time filter from the address', () => {
  it('keeps an instant to the microsecond, as the exports write it', () => {
    expect(instantParamOrNull('2026-12-05T10:35:36.877644Z')).toBe('2026-12-05T10:35:36.877644Z');
  });

  it('sends any other date as its ISO form, and drops what is no date', () => {
    expect(instantParamOrNull('2026-12-05T11:35:36+01:00')).toBe('2026-12-05T10:35:36.000Z');
    expect(instantParamOrNull('yesterday')).toBeNull();
    expect(instantParamOrNull(null)).toBeNull();
  });
});
