import { isIP } from 'node:net';
import { z } from 'zod';
import { parseOrigin } from './cors.js';
import { parseHostName } from './host-names.js';

// The schemas of the access variables, used by env.ts (the one place that reads the environment).

const MIN_TOKEN_LENGTH = 16;

/** CHAINLOG_TOKEN: long enough that guessing it over the network is hopeless. Issues never quote it. */
export const accessTokenSchema = z
  .string()
  .min(
    MIN_TOKEN_LENGTH,
    `must be at least ${MIN_TOKEN_LENGTH} characters (e.g. the output of \`openssl rand -hex 32\`)`,
  );

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

// `name:port` or `[v6]:port`; a bare IPv6 address is all colons and no port.
function hasPort(entry: string): boolean {
  return entry.startsWith('[') ? /\]:/.test(entry) : isIP(entry) !== 6 && entry.includes(':');
}

/** CHAINLOG_ALLOWED_HOSTS: host names or addresses, without a port (the port of a Host header is not compared). */
export const allowedHostsSchema = commaList.pipe(
  z.array(
    z.string().transform((entry, context) => {
      const parsed = parseHostName(entry);
      if (parsed && !hasPort(entry)) return parsed.name;
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry)} is not a host name without a port (e.g. chainlog.example.com)`,
      });
      return z.NEVER;
    }),
  ),
);

/** CHAINLOG_ALLOWED_ORIGINS: web origins as a browser sends them (`https://app.example.com`, no path). */
export const allowedOriginsSchema = commaList.pipe(
  z.array(
    z.string().transform((entry, context) => {
      const origin = parseOrigin(entry);
      if (origin) return origin;
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry)} is not an origin (e.g. https://app.example.com, no path)`,
      });
      return z.NEVER;
    }),
  ),
);
