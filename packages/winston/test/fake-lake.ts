import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answer, EventData } from '../../../test/support/adapter-helpers.js';

/**
 * A tiny stand-in for the service's `POST /PutAuditEvents` (no signature checks), for tests
 * whose sink runs where no function can be passed in: another process or pino's worker.
 */
export async function startFakeLake(answer: Answer = () => undefined) {
  const events: EventData[] = [];
  const requests: { channelArn: string | null; count: number }[] = [];
  let next = 0;
  const server = createServer((request, response) => {
    void body(request).then((text) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method !== 'POST' || url.pathname !== '/PutAuditEvents') {
        response.writeHead(404, { 'x-amzn-ErrorType': 'UnknownOperationException' }).end('{}');
        return;
      }
      const { auditEvents } = JSON.parse(text) as { auditEvents: { id: string; eventData: string }[] };
      requests.push({ channelArn: url.searchParams.get('channelArn'), count: auditEvents.length });
      const successful: { id: string; eventID: string }[] = [];
      const failed: { id: string; errorCode: string; errorMessage: string }[] = [];
      for (const event of auditEvents) {
        const data = JSON.parse(event.eventData) as EventData;
        const failure = answer(data);
        if (failure) failed.push({ id: event.id, ...failure });
        else {
          events.push(data);
          successful.push({ id: event.id, eventID: `e-${++next}` });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ successful, failed }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
