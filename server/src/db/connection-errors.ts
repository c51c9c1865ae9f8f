// Node socket errors that mean the server cannot be reached (or went away mid-statement).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// PostgreSQL SQLSTATEs: class 08 (connection exception), and 57P01–57P03 (admin shutdown, crash shutdown, cannot
// connect now: what a restart of the server sends to every connection).
const SERVER_GONE_STATES = new Set(['57P01', '57P02', '57P03']);
// What pg says when the socket closes under it, or when a connection times out; these carry no code.
const PG_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * True when the error says the database could not be reached or dropped the connection: a condition that passes
 * when the server is back, unlike a constraint or syntax error. Looks through `cause` chains (LogWriteError wraps).
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_GONE_STATES.has(code) || code.startsWith('08')))
      return true;
    if (typeof message === 'string' && PG_MESSAGES.some((text) => message.includes(text))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
