/** Attempts by latency bucket (latency_bucket's numbers). */
export type Histogram = Map<number, number>;

/** Adds one histogram, given as its buckets and their attempts (two arrays of the same length), into `histogram`. */
export function addToHistogram(histogram: Histogram, buckets: readonly number[], attempts: readonly number[]): void {
  buckets.forEach((bucket, index) => {
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + (attempts[index] ?? 0));
  });
}

/** One bucket of a latency histogram: how many attempts took about `middleMs`. */
export interface LatencyBucket {
  middleMs: number;
  attempts: number;
}

/**
 * The percentile `fraction` (0 to 1) of a histogram whose buckets are in order, as percentile_cont defines it
 * (linear interpolation between the two values around position fraction × (n − 1)), each value read as the middle of
 * its bucket: within half a bucket's width of the exact figure. Null for an empty histogram.
 */
export function histogramPercentile(buckets: readonly LatencyBucket[], fraction: number): number | null {
  const total = buckets.reduce((sum, bucket) => sum + bucket.attempts, 0);
  if (total === 0) return null;
  const position = fraction * (total - 1);
  const below = valueAtRank(buckets, Math.floor(position));
  const above = valueAtRank(buckets, Math.ceil(position));
  return below + (above - below) * (position - Math.floor(position));
}

/** The middle of the bucket holding the value of 0-based rank `rank`. */
function valueAtRank(buckets: readonly LatencyBucket[], rank: number): number {
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.attempts;
    if (rank < seen) return bucket.middleMs;
  }
  return buckets.at(-1)?.middleMs ?? 0;
}
