import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

/** A limiter on a clock the test moves. */
function limiterAt(startMs: number, options: { perMinute: number; maxTrackedKeys?: number }) {
  const clock = { nowMs: startMs };
  const limiter = new RateLimiter({ ...options, now: () => clock.nowMs });
  return { limiter, clock };
}

describe('the per-key rate limiter', () => {
  it('allows a burst of perMinute calls, then refuses with the whole seconds until the next one', () => {
    const { limiter } = limiterAt(0, { perMinute: 120 });

    for (let call = 0; call < 120; call++) expect(limiter.take('10.0.0.1')).toEqual({ allowed: true });

    // 120 a minute is one every 500 ms: retry-after rounds up to whole seconds.
    expect(limiter.take('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at perMinute / 60 a second, never past the burst', () => {
    const { limiter, clock } = limiterAt(0, { perMinute: 6 });
    for (let call = 0; call < 6; call++) limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });

    clock.nowMs += 9_999;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.nowMs += 1;
    expect(limiter.take('a')).toEqual({ allowed: true });

    clock.nowMs += 3_600_000;
    for (let call = 0; call < 6; call++) expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps one allowance per key', () => {
    const { limiter } = limiterAt(0, { perMinute: 1 });

    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('forgets keys whose allowance has refilled, so memory follows the clients of the last minute', () => {
    const { limiter, clock } = limiterAt(0, { perMinute: 60 });
    for (let key = 0; key < 1_000; key++) limiter.take(`10.0.${key >> 8}.${key & 255}`);
    expect(limiter.trackedKeys()).toBe(1_000);

    clock.nowMs += 60_000;
    limiter.take('10.9.9.9');

    expect(limiter.trackedKeys()).toBe(1);
  });

  it('never remembers more than maxTrackedKeys, forgetting the key idle the longest', () => {
    const { limiter, clock } = limiterAt(0, { perMinute: 1, maxTrackedKeys: 2 });
    limiter.take('a');
    clock.nowMs += 1;
    limiter.take('b');
    clock.nowMs += 1;
    limiter.take('a');

    limiter.take('c');

    expect(limiter.trackedKeys()).toBe(2);
    // 'a' is still remembered (its allowance spent); 'b' was forgotten, so it starts afresh.
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });
});
