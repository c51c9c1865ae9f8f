import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { SHUTDOWN_BACKSTOP_MARGIN_MS, createShutdownHandler } from './shutdown.js';

/** A shutdown whose close the test settles, with the exit codes it asked for. */
function recordedShutdown(drainTimeoutMs = 1_000) {
  const exits: number[] = [];
  let closes = 0;
  let finishClose: (error?: Error) => void = () => {};
  const handler = createShutdownHandler({
    close: () => {
      closes++;
      return new Promise<void>((resolve, reject) => {
        finishClose = (error) => (error ? reject(error) : resolve());
      });
    },
    drainTimeoutMs,
    exit: (code) => exits.push(code),
  });
  return { handler, exits, closes: () => closes, finishClose: (error?: Error) => finishClose(error) };
}

describe('the shutdown handler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes once on the first signal and exits 0 when that is done', async () => {
    const shutdown = recordedShutdown();
    shutdown.handler('SIGTERM');
    expect(shutdown.closes()).toBe(1);
    expect(shutdown.exits).toEqual([]);

    shutdown.finishClose();
    await vi.waitFor(() => expect(shutdown.exits).toEqual([0]));
  });

  it('exits 1 at once on a second signal, without closing again', () => {
    const shutdown = recordedShutdown();
    // Settled at the end, so its backstop does not fire 11 s later in another file that shares this worker (and
    // watches logs).
    onTestFinished(() => shutdown.finishClose());
    shutdown.handler('SIGINT');
    shutdown.handler('SIGINT');

    expect(shutdown.exits).toEqual([1]);
    expect(shutdown.closes()).toBe(1);
  });

  it('exits 1 when the close fails', async () => {
    const shutdown = recordedShutdown();
    shutdown.handler('SIGTERM');
    shutdown.finishClose(new Error('the database would not close'));

    await vi.waitFor(() => expect(shutdown.exits).toEqual([1]));
  });

  it('exits 1 at the backstop when the close hangs past the drain timeout and its margin', () => {
    vi.useFakeTimers();
    const shutdown = recordedShutdown(1_000);
    shutdown.handler('SIGTERM');

    vi.advanceTimersByTime(1_000 + SHUTDOWN_BACKSTOP_MARGIN_MS - 1);
    expect(shutdown.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(shutdown.exits).toEqual([1]);
  });
});
