import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from './throttle.js';

describe('throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the first call at once and folds a burst of later calls into one run when the interval ends', () => {
    const action = vi.fn();
    const throttled = throttle(action, 1_000);

    throttled();
    expect(action).toHaveBeenCalledTimes(1);
    for (let call = 0; call < 50; call++) {
      vi.advanceTimersByTime(10);
      throttled();
    }
    expect(action).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(500);
    expect(action).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5_000);
    expect(action).toHaveBeenCalledTimes(2);
  });

  it('runs at most once per interval under a steady stream of calls, and runs after the last one', () => {
    const action = vi.fn();
    const throttled = throttle(action, 1_000);

    // 10 seconds of calls every 50 ms: 200 calls.
    for (let call = 0; call < 200; call++) {
      throttled();
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1_000);

    expect(action.mock.calls.length).toBeGreaterThanOrEqual(10);
    expect(action.mock.calls.length).toBeLessThanOrEqual(11);
  });

  it('runs at once again once the interval has passed with no call', () => {
    const action = vi.fn();
    const throttled = throttle(action, 1_000);

    throttled();
    vi.advanceTimersByTime(1_500);
    throttled();

    expect(action).toHaveBeenCalledTimes(2);
  });

  it('forgets a waiting run when cancelled', () => {
    const action = vi.fn();
    const throttled = throttle(action, 1_000);

    throttled();
    throttled();
    throttled.cancel();
    vi.advanceTimersByTime(5_000);

    expect(action).toHaveBeenCalledTimes(1);
  });
});
