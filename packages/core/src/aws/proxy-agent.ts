/**
 * HTTPS through a proxy: an `https.Agent` whose connections are tunnels opened with `CONNECT`
 * (RFC 9110 §9.3.6), with TLS to the endpoint inside, so the proxy sees only the host and port.
 * Sockets are kept alive and reused like any agent's. Plain-HTTP endpoints need no agent of
 * their own: the request goes to the proxy with the absolute URL (see http-client.ts).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { AwsRequestError } from '../errors.js';
import { describeProxy, proxyAuthorization } from './proxy.js';

export interface TunnelAgentOptions extends AgentOptions {
  /** The proxy: `http://` (CONNECT in clear) or `https://` (TLS to the proxy too). */
  proxy: URL;
  /** Longest wait for the proxy's answer to CONNECT. */
  connectTimeoutMs: number;
}

export class TunnelAgent extends HttpsAgent {
  readonly #proxy: URL;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;

  constructor({ proxy, connectTimeoutMs, ...options }: TunnelAgentOptions) {
    super(options);
    this.#proxy = proxy;
    this.#authorization = proxyAuthorization(proxy);
    this.#timeoutMs = connectTimeoutMs;
  }

  // Node's agents accept a socket given later through the callback (as `net.createConnection` returns one at once).
  override createConnection(options: RequestOptions, callback?: (error: Error | null, stream: Duplex) => void): undefined {
    if (callback === undefined) throw new TypeError('TunnelAgent opens tunnels asynchronously: createConnection needs a callback');
    const host = options.host ?? 'localhost';
    const authority = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
    const proxy = this.#proxy;
    const send = proxy.protocol === 'https:' ? httpsRequest : httpRequest;
    const connect: ClientRequest = send({
      host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(this.#authorization ? { 'proxy-authorization': this.#authorization } : {}) },
      agent: false,
      ...(proxy.protocol === 'https:' ? { servername: proxy.hostname } : {}),
    });
    let done = false;
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      connect.destroy();
      callback(error, undefined as unknown as Duplex);
    };
    connect.setTimeout(this.#timeoutMs, () => {
      fail(new AwsRequestError(`the proxy ${describeProxy(proxy)} did not answer CONNECT ${authority} within ${this.#timeoutMs} ms`, { errorCode: 'TimeoutError' }));
    });
    connect.once('error', (error: NodeJS.ErrnoException) => {
      fail(new AwsRequestError(`cannot reach the proxy ${describeProxy(proxy)}: ${error.code ?? error.message}`, { errorCode: error.code ?? error.name, cause: error }));
    });
    connect.once('response', (response: IncomingMessage) => {
      // A proxy that answers CONNECT with a plain response (no 'connect' event) refused the tunnel.
      response.resume();
      fail(refused(proxy, authority, response.statusCode ?? 0, response.statusMessage));
    });
    connect.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (done) {
        socket.destroy();
        return;
      }
      done = true;
      connect.setTimeout(0);
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(refused(proxy, authority, response.statusCode ?? 0, response.statusMessage), undefined as unknown as Duplex);
        return;
      }
      if (head.length > 0) socket.unshift(head);
      const { path: _path, ...tls } = options as ConnectionOptions & { path?: unknown };
      callback(null, tlsConnect({ ...tls, socket, servername: options.servername ?? (isIpLiteral(host) ? undefined : host) }));
    });
    connect.end();
    return undefined;
  }
}

function refused(proxy: URL, authority: string, statusCode: number, statusMessage: string | undefined): AwsRequestError {
  const status = `HTTP ${statusCode}${statusMessage ? ` ${statusMessage}` : ''}`;
  if (statusCode === 407) {
    return new AwsRequestError(`the proxy ${describeProxy(proxy)} wants credentials (${status}): give them in the proxy URL, http://user:password@host:port`, {
      errorCode: 'ProxyAuthenticationRequired',
      statusCode,
    });
  }
  // 5xx: the proxy could not reach the endpoint (worth another try); 4xx: its policy says no.
  return new AwsRequestError(`the proxy ${describeProxy(proxy)} refused CONNECT ${authority}: ${status}`, {
    errorCode: statusCode >= 500 ? 'ProxyConnectFailed' : 'ProxyConnectRefused',
    statusCode,
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
