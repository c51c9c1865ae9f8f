import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

// A Host header or a configured name is host[:port]: no user info, path, query or space (URL parsing would accept them).
const HOST_SHAPE = /^[^\s@/\\?#]+$/;

/**
 * The host name of a Host header value or a configured name (`example.com`, `example.com:8800`, `[::1]:8800`, a bare
 * `::1`), the way the WHATWG URL parser writes it: lower case, IPv6 in brackets, `127.1` as `127.0.0.1`, without a
 * trailing dot. Undefined when it is not a host.
 */
export function parseHostName(value: string): { name: string; port: string } | undefined {
  const trimmed = value.trim();
  const bracketed = isIP(trimmed) === 6 ? `[${trimmed}]` : trimmed;
  if (!HOST_SHAPE.test(bracketed)) return undefined;
  try {
    const url = new URL(`http://${bracketed}`);
    if (url.hostname === '') return undefined;
    return { name: url.hostname.replace(/\.$/, ''), port: url.port };
  } catch {
    // Not a host: the caller refuses it.
    return undefined;
  }
}

/** Whether a host name (as parseHostName writes it) is `localhost` or an address in 127.0.0.0/8 or ::1. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost') return true;
  const address = name.startsWith('[') ? name.slice(1, -1) : name;
  const family = isIP(address);
  if (family === 4) return LOOPBACK.check(address, 'ipv4');
  if (family === 6) return LOOPBACK.check(address, 'ipv6');
  return false;
}

/** Whether `HOST` (what the server listens on) is a loopback name or address: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const parsed = parseHostName(host);
  return parsed !== undefined && isLoopbackName(parsed.name);
}
