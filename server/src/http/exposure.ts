import { isLoopbackHost } from './host-names.js';

/**
 * Why the server must not start: listening beyond this machine (any `HOST` but a loopback name or address) with no
 * token would let anyone who reaches the port read every log row and spend the provider credits. Undefined when
 * starting is fine.
 */
export function exposureProblem(host: string, token: string | undefined): string | undefined {
  if (token !== undefined || isLoopbackHost(host)) return undefined;
  return (
    `HOST=${host} listens beyond this machine, and CHAINLOG_TOKEN is not set: anyone who reaches the port could read ` +
    'every log and start chains. Set CHAINLOG_TOKEN to a secret of at least 16 characters (e.g. `openssl rand -hex 32`), ' +
    'or listen on 127.0.0.1.'
  );
}
