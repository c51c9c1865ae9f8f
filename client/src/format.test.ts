import { describe, expect, it } from 'vitest';
import { formatLatency, formatLatencyTick } from './format.js';

describe('formatLatency', () => {
  it('keeps a tenth of a millisecond under 10 ms, whole milliseconds under a second, then seconds', () => {
    expect([0, 0.04, 0.35, 3, 9.94, 9.96, 840.4, 999.4, 1_000, 1_449].map(formatLatency)).toEqual([
      '0 ms',
      '0 ms',
      '0.3 ms',
      '3 ms',
      '9.9 ms',
      '10 ms',
      '840 ms',
      '999 ms',
      '1.0 s',
      '1.4 s',
    ]);
    expect(formatLatency(null)).toBe('–');
  });
});

describe('formatLatencyTick', () => {
  it('tells apart the ticks of an axis at any scale', () => {
    const scales = [
      [0, 0.05, 0.1, 0.15, 0.2, 0.25],
      [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2],
      [0, 5, 10, 15, 100, 105, 110, 115],
      [0, 500, 1_000, 1_500, 2_000, 2_250, 2_500],
    ];
    for (const ticks of scales) {
      const labels = ticks.map(formatLatencyTick);
      expect(new Set(labels).size, labels.join(', ')).toBe(ticks.length);
    }
    expect([0.2, 115, 1_500, 2_250].map(formatLatencyTick)).toEqual(['0.2 ms', '115 ms', '1.5 s', '2.25 s']);
  });
});
