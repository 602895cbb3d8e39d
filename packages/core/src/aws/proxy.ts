/**
 * Which proxy, if any, a request to an endpoint goes through: the `proxy` option, else the
 * environment as curl, Go and undici read it (`https_proxy`/`HTTPS_PROXY` for https endpoints,
 * `http_proxy`/`HTTP_PROXY` for http ones, lower case first, with `no_proxy`/`NO_PROXY`
 * exceptions). Loopback endpoints (the local lake) never go through a proxy from the
 * environment: a proxy elsewhere cannot reach this machine's loopback.
 */
import { BlockList, isIP } from 'node:net';
import { ConfigurationError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A proxy to use, and where it was configured (for messages). */
export interface ProxyRoute {
  url: URL;
  /** `the proxy option`, or the variable's name. */
  source: string;
}

/** What a proxy looks like, for configuration errors. */
export const PROXY_RULE = 'an http:// or https:// proxy URL such as http://proxy.example:3128 (credentials as http://user:password@host:port)';

/** A proxy URL; `host:port` without a scheme means http, as curl reads it. `undefined` when it is not one. */
export function parseProxyUrl(value: string): URL | undefined {
  const text = value.trim();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The proxy for requests to `target`, or `undefined` for a direct connection. Throws a `ConfigurationError` for a malformed proxy. */
export function proxyFor(target: URL, setting: string | false | undefined, env: Env): ProxyRoute | undefined {
  if (setting === false) return undefined;
  if (setting !== undefined) return { url: checkedProxy('proxy', setting), source: 'the proxy option' };
  if (isLoopback(target.hostname)) return undefined;
  const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const name = names.find((variable) => nonEmpty(env[variable]) !== undefined);
  if (name === undefined) return undefined;
  const noProxy = nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY);
  if (noProxy !== undefined && matchesNoProxy(target, noProxy)) return undefined;
  return { url: checkedProxy(name, env[name]), source: name };
}

/**
 * Checks the `proxy` option with the other options. A proxy variable is checked when the client
 * is built, and only the one that applies: another tool's malformed `http_proxy` must not stop
 * an https client.
 */
export function checkProxyOption(setting: unknown): void {
  if (setting !== undefined && setting !== false) checkedProxy('proxy', setting);
}

function checkedProxy(name: string, value: unknown): URL {
  const url = typeof value === 'string' ? parseProxyUrl(value) : undefined;
  if (url === undefined) throw new ConfigurationError(name, `${PROXY_RULE}, or false for none`, value);
  return url;
}

/** A proxy URL for messages: no credentials. */
export function describeProxy(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** `Proxy-Authorization` for credentials in the proxy URL (percent-decoded, as curl does). */
export function proxyAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1 (with or without brackets). */
export function isLoopback(hostname: string): boolean {
  const host = bare(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether `NO_PROXY` exempts `target`. Entries are separated by commas or spaces: `*` (every
 * host), a host name (it and its subdomains), `.example.com` or `*.example.com` (subdomains
 * only), an IP address, or a CIDR block; any of them with `:port` applies to that port only.
 */
export function matchesNoProxy(target: URL, noProxy: string): boolean {
  const host = bare(target.hostname);
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const family = isIP(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      if (withPort[2] !== port) continue;
      entry = withPort[1] as string;
    }
    entry = bare(entry);
    const slash = entry.indexOf('/');
    if (slash > 0) {
      if (family !== 0 && inCidr(host, family, entry.slice(0, slash), Number(entry.slice(slash + 1)))) return true;
      continue;
    }
    if (isIP(entry) !== 0) {
      if (family !== 0 && sameAddress(host, entry)) return true;
      continue;
    }
    const subdomainsOnly = entry.startsWith('.') || entry.startsWith('*.');
    const domain = entry.replace(/^\*?\./, '');
    if (domain === '') continue;
    if (host.endsWith(`.${domain}`) || (!subdomainsOnly && host === domain)) return true;
  }
  return false;
}

function inCidr(host: string, family: number, network: string, prefix: number): boolean {
  const networkFamily = isIP(network);
  if (networkFamily === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (networkFamily === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, networkFamily === 4 ? 'ipv4' : 'ipv6');
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function sameAddress(a: string, b: string): boolean {
  const list = new BlockList();
  const family = isIP(b) === 4 ? 'ipv4' : 'ipv6';
  list.addAddress(b, family);
  return list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
}

/** A host name without brackets, trailing dot or case. */
function bare(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
