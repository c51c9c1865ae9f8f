import { isLoopbackName, parseHostName } from './host-names.js';

/** Whether a request's Host header names this server. */
export type HostCheck = (hostHeader: string | undefined) => boolean;

/**
 * The DNS-rebinding guard: a page on attacker.example whose name the attacker re-points at this machine sends
 * `Host: attacker.example`. Accepted names: loopback ones (`localhost`, 127.0.0.0/8, `[::1]`), the `HOST` the
 * server listens on, and CHAINLOG_ALLOWED_HOSTS. The port is not compared: a port forward or a dev proxy changes
 * it, while a rebinding attack changes the name.
 */
export function createHostCheck(boundHost: string, allowedHosts: readonly string[]): HostCheck {
  const names = new Set<string>();
  for (const host of [boundHost, ...allowedHosts]) {
    const parsed = parseHostName(host);
    if (parsed) names.add(parsed.name);
  }
  return (hostHeader) => {
    const parsed = hostHeader === undefined ? undefined : parseHostName(hostHeader);
    return parsed !== undefined && (isLoopbackName(parsed.name) || names.has(parsed.name));
  };
}
