/**
 * The Host header check against DNS rebinding: a web page on `evil.example` whose name is made
 * to resolve to 127.0.0.1 reaches the lake from the browser, but its requests still say
 * `Host: evil.example`. Only the lake's own names pass: loopback names and addresses, the host
 * it binds, this machine's name and (when it binds every interface) its addresses, and names
 * the user adds.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

export interface HostCheck {
  /** Whether a Host header value (with or without a port) names this lake. */
  allows(hostHeader: string | undefined): boolean;
  /** The names the check accepts, for messages. */
  describe(): string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** `allowedHosts` may contain `*`, which turns the check off. */
export function createHostCheck(boundHost: string, allowedHosts: readonly string[]): HostCheck {
  if (allowedHosts.includes('*')) return { allows: () => true, describe: () => 'any (allowedHosts: *)' };
  const named = new Set(['localhost', normalize(hostname()), ...allowedHosts.map(normalize)]);
  const bound = normalize(boundHost);
  if (!WILDCARDS.has(bound)) named.add(bound);
  const wildcard = WILDCARDS.has(bound);
  return {
    allows(hostHeader) {
      // HTTP/1.0 clients may send none; a browser always does, so rebinding cannot use this.
      if (hostHeader === undefined) return true;
      const name = normalize(stripPort(hostHeader));
      if (named.has(name) || name.endsWith('.localhost') || isLoopbackAddress(name)) return true;
      return wildcard && isIP(name) !== 0 && localAddresses().has(name);
    },
    describe() {
      return [...named, '*.localhost', '127.0.0.0/8', '::1', ...(wildcard ? ["this machine's addresses"] : [])].join(', ');
    },
  };
}

export function isLoopbackAddress(name: string): boolean {
  const host = normalize(name);
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host.startsWith('::ffff:127.');
}

/** Whether binding `host` keeps the lake on this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = normalize(host);
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) addresses.add(normalize(entry.address));
  return addresses;
}

function stripPort(value: string): string {
  const text = value.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    return end === -1 ? text : text.slice(1, end);
  }
  const colon = text.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, which carries no port.
  return colon !== -1 && text.indexOf(':', colon + 1) === -1 ? text.slice(0, colon) : text;
}

function normalize(name: string): string {
  const lower = name.trim().toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}
