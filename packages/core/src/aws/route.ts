/** The way from the client to an endpoint: direct, tunnelled, or forwarded by a proxy. */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TunnelAgent } from './proxy-agent.js';
import { describeProxy, proxyAuthorization, proxyFor, type Env, type ProxyRoute } from './proxy.js';

export interface RouteOptions {
  agent?: HttpAgent | undefined;
  proxy?: string | false | undefined;
  env?: Env | undefined;
  maxSockets: number;
  requestTimeoutMs: number;
}

/**
 * How requests reach the endpoint: directly; through a `CONNECT` tunnel (https endpoints behind a
 * proxy); or, for http endpoints behind a proxy, to the proxy itself with the absolute URL as
 * the request target (RFC 9112 §3.2.2). The signed `host` header names the endpoint either way.
 */
export interface Route {
  agent: HttpAgent;
  send: typeof httpRequest;
  /** For forwarding: the proxy, its credentials header, and where it is configured. */
  forward: { proxy: URL; authorization: string | undefined } | undefined;
  /** `through the proxy http://proxy:3128 (HTTPS_PROXY)`, for messages. */
  via: string;
}

export function createRoute(base: URL, options: RouteOptions): Route {
  const secure = base.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  if (options.agent) return { agent: options.agent, send, forward: undefined, via: '' };
  const proxy: ProxyRoute | undefined = proxyFor(base, options.proxy, options.env ?? process.env);
  const keepAlive = { keepAlive: true, maxSockets: options.maxSockets };
  if (proxy === undefined) return { agent: new (secure ? HttpsAgent : HttpAgent)(keepAlive), send, forward: undefined, via: '' };
  const via = ` through the proxy ${describeProxy(proxy.url)} (${proxy.source})`;
  if (secure) return { agent: new TunnelAgent({ ...keepAlive, proxy: proxy.url, connectTimeoutMs: options.requestTimeoutMs }), send, forward: undefined, via };
  const toProxy = proxy.url.protocol === 'https:';
  return {
    agent: new (toProxy ? HttpsAgent : HttpAgent)(keepAlive),
    send: toProxy ? httpsRequest : httpRequest,
    forward: { proxy: proxy.url, authorization: proxyAuthorization(proxy.url) },
    via,
  };
}

