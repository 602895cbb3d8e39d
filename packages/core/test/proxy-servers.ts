import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';

export const CREDENTIALS = { accessKeyId: 'AKIDPROXYTEST', secretAccessKey: 'proxy-test-secret' };

const servers: Server[] = [];

/** Closes every server the helpers started. */
export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => {
    server.closeAllConnections?.();
    return new Promise((resolve) => server.close(resolve));
  }));
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export interface ProxyOptions {
  /** `Proxy-Authorization` the proxy insists on; anything else gets 407. */
  authorization?: string;
  /** Answer CONNECT with this status instead of opening the tunnel. */
  connectStatus?: number;
  /** Where a host the proxy is asked for really is: every name goes to 127.0.0.1 here. */
  ports?: Record<string, number>;
}

export interface SeenByProxy {
  method: string;
  /** The request target: `host:port` for CONNECT, the absolute URL when forwarding. */
  target: string;
  authorization: string | undefined;
}

/** A forward proxy (absolute-form requests) and tunnelling proxy (CONNECT), as squid or tinyproxy are. */
export async function startProxy(options: ProxyOptions = {}) {
  const seen: SeenByProxy[] = [];
  const allowed = (req: IncomingMessage) => options.authorization === undefined || req.headers['proxy-authorization'] === options.authorization;
  const portOf = (host: string, port: string) => options.ports?.[host] ?? Number(port);
  const server = createHttpServer((req, res) => {
    seen.push({ method: req.method!, target: req.url!, authorization: req.headers['proxy-authorization'] });
    if (!allowed(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = new URL(req.url!);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: '127.0.0.1', port: portOf(url.hostname, url.port), method: req.method, path: `${url.pathname}${url.search}`, headers }, (response) => {
      res.writeHead(response.statusCode!, response.headers);
      response.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', target: req.url!, authorization: req.headers['proxy-authorization'] });
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    if (options.connectStatus !== undefined) {
      client.end(`HTTP/1.1 ${options.connectStatus} Refused\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), req.url!.slice(req.url!.lastIndexOf(':') + 1)];
    const upstream = netConnect(portOf(host, port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { seen, url: `http://127.0.0.1:${port}`, port };
}

export interface SeenByLake {
  host: string | undefined;
  /** The TLS server name the client asked for (https only). */
  servername: string | undefined;
  events: number;
  signatureValid: boolean;
}

/** A PutAuditEvents endpoint that checks each request's SigV4 signature and accepts every event. */
export async function startLake(tls?: { key: string; cert: string }) {
  const seen: SeenByLake[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void verifySigV4(req, body).then((signatureValid) => {
        const { auditEvents } = JSON.parse(body.toString('utf8')) as { auditEvents: { id: string }[] };
        seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername || undefined, events: auditEvents.length, signatureValid });
        if (!signatureValid) {
          res.writeHead(403, { 'x-amzn-errortype': 'InvalidSignatureException', 'content-type': 'application/json' }).end('{"message":"bad signature"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ successful: auditEvents.map((event) => ({ id: event.id, eventID: `ev-${event.id}` })), failed: [] }));
      });
    });
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  const port = await listen(server);
  return { seen, port };
}

/** Signs the request again, with only the headers the client signed, and compares signatures. */
async function verifySigV4(req: IncomingMessage, body: Buffer): Promise<boolean> {
  const authorization = req.headers.authorization ?? '';
  const match = /Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(authorization);
  if (!match) return false;
  const [, , region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string];
  const url = new URL(req.url!, 'http://placeholder');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(req.headers[name]);
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service, region, credentials: CREDENTIALS, sha256: Hash.bind(null, 'sha256'), applyChecksum: true });
  const request = new HttpRequest({ method: req.method, hostname: url.hostname, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body });
  const signed = await signer.sign(request, { signingDate });
  return String(signed.headers.authorization).endsWith(`Signature=${signature}`);
}

/** A CA and a certificate it signed for `hostname`, made with the openssl command; `undefined` without one. */
export function makeCertificates(hostname: string): { dir: string; ca: string; key: string; cert: string; remove(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-proxy-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=auditlake test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    openssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${hostname}`);
    writeFileSync(join(dir, 'leaf.ext'), `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth\n`);
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext');
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { dir, ca: join(dir, 'ca.pem'), key: read('leaf.key'), cert: read('leaf.pem'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
