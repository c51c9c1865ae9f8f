import { describe, expect, it } from 'vitest';
import { histogramPercentile } from './latency-histogram.js';

describe('histogramPercentile', () => {
  it('interpolates between the buckets around the position, as percentile_cont does between values', () => {
    // Values 100, 200, 200, 400: p50 sits between the second and third (200), p95 between 200 and 400.
    const buckets = [
      { middleMs: 100, attempts: 1 },
      { middleMs: 200, attempts: 2 },
      { middleMs: 400, attempts: 1 },
    ];
    expect(histogramPercentile(buckets, 0.5)).toBe(200);
    expect(histogramPercentile(buckets, 0.95)).toBeCloseTo(200 + 200 * 0.85, 10);
    expect(histogramPercentile(buckets, 0)).toBe(100);
    expect(histogramPercentile(buckets, 1)).toBe(400);
  });

  it('gives the one bucket of a single attempt, and nothing for no attempts', () => {
    expect(histogramPercentile([{ middleMs: 750, attempts: 1 }], 0.95)).toBe(750);
    expect(histogramPercentile([], 0.5)).toBeNull();
    expect(histogramPercentile([{ middleMs: 750, attempts: 0 }], 0.5)).toBeNull();
  });
});
