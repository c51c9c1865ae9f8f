import { lookup } from 'node:dns/promises';

/** The one line naming the variable when the server cannot listen on HOST:PORT; undefined for anything else. */
export function listenProblem(error: unknown, host: string, port: number): string | undefined {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `PORT=${port} on ${host} is in use; set PORT to another port`;
    case 'EADDRNOTAVAIL':
      return `HOST=${host} is not an address of this machine; use 0.0.0.0 (every address, with CHAINLOG_TOKEN) or 127.0.0.1`;
    case 'EACCES':
      return `PORT=${port} needs privileges this user does not have; set PORT to 1024 or above`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST=${host} does not resolve to an address`;
    default:
      return undefined;
  }
}

/**
 * Why HOST cannot be listened on, asked before anything else reads it (the token rule would otherwise call a
 * typo a host beyond this machine); undefined when it resolves.
 */
export async function hostLookupProblem(host: string): Promise<string | undefined> {
  try {
    await lookup(host);
    return undefined;
  } catch (error) {
    return listenProblem(error, host, 0);
  }
}
