import { createLogger, type Logger, type ProxyOptions } from 'vite';

// What the proxy meets while the API server restarts under `npm run dev`: nobody listening, or the old process
// closing its sockets. Vite prints each with a stack; one line per restart says the same.
const RESTART_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : '';
}

/**
 * Vite's logger, with the dev proxy's errors while the API server is down said once until it answers again, and
 * the proxy option that notices it answering. Every other message passes unchanged.
 */
export function quietProxyLogging(apiTarget: string): { customLogger: Logger; configure: ProxyOptions['configure'] } {
  const logger = createLogger();
  let saidDown = false;
  const customLogger: Logger = {
    ...logger,
    error(message, options) {
      if (!message.includes('proxy') || !RESTART_ERRORS.has(errorCode(options?.error))) {
        logger.error(message, options);
        return;
      }
      if (saidDown) return;
      saidDown = true;
      logger.warn(
        `the API server at ${apiTarget} is not answering (restarting?): the proxy retries with each request`,
        { timestamp: true },
      );
    },
  };
  const configure: ProxyOptions['configure'] = (proxy) => {
    const answered = () => {
      saidDown = false;
    };
    proxy.on('proxyRes', answered);
    proxy.on('open', answered);
  };
  return { customLogger, configure };
}
