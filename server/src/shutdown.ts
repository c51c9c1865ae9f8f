import { log } from './log.js';

const shutdownLog = log.withTag('shutdown');
/** Beyond the drain timeout: the grace for aborted calls, closing WebSocket clients and the database. */
export const SHUTDOWN_BACKSTOP_MARGIN_MS = 10_000;

export interface ShutdownOptions {
  /** Stops the server and closes the app (drains in-flight work within `drainTimeoutMs`). */
  close(): Promise<void>;
  drainTimeoutMs: number;
  exit(code: number): void;
}

/**
 * The SIGINT/SIGTERM handler: the first signal shuts down gracefully, and the process exits 0 once that is done
 * (1 if it fails, `exitCode` when the reason to stop is itself a failure). Since handling the signal replaces Node's default exit, a second signal exits at once, and a
 * shutdown that hangs (a query stuck on a lock) still ends at the backstop.
 */
export function createShutdownHandler(options: ShutdownOptions): (signal: string, exitCode?: number) => void {
  let stopping = false;
  return (signal, exitCode = 0) => {
    if (stopping) {
      shutdownLog.warn(`${signal} again: exiting without waiting for the shutdown to finish`);
      options.exit(1);
      return;
    }
    stopping = true;
    shutdownLog.info(`${signal}: shutting down`);
    const backstop = setTimeout(() => {
      shutdownLog.error(
        `shutdown did not finish within ${options.drainTimeoutMs + SHUTDOWN_BACKSTOP_MARGIN_MS} ms; exiting`,
      );
      options.exit(1);
    }, options.drainTimeoutMs + SHUTDOWN_BACKSTOP_MARGIN_MS);
    backstop.unref();
    options.close().then(
      () => {
        clearTimeout(backstop);
        shutdownLog.info('stopped');
        options.exit(exitCode);
      },
      (error: unknown) => {
        clearTimeout(backstop);
        shutdownLog.error('shutdown failed', error);
        options.exit(1);
      },
    );
  };
}
