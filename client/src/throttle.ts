export interface Throttled {
  /** Runs the action now if it has not run within the interval, else once when the interval ends. */
  (): void;
  /** Forgets a run waiting for the interval to end. */
  cancel(): void;
}

/**
 * At most one run of `action` per `intervalMs`, and never a call lost: the first call runs at once, calls within the
 * interval after a run fold into one run at its end.
 */
export function throttle(action: () => void, intervalMs: number, clock: { now(): number } = Date): Throttled {
  let lastRun = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer = undefined;
    lastRun = clock.now();
    action();
  };
  const throttled = () => {
    if (timer !== undefined) return;
    const wait = lastRun + intervalMs - clock.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
