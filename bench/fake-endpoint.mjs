// One local fake of the three ingestion APIs the side-by-side benches send to, so that every
// client meets the same server code, latency and faults:
//   - CloudWatch Logs (awsJson1_1, POST / with X-Amz-Target Logs_20140328.<Op>): CreateLogGroup,
//     CreateLogStream, DescribeLogStreams, PutLogEvents, PutRetentionPolicy, as the SDK calls them;
//   - OTLP/HTTP logs (POST /v1/logs), JSON or protobuf, gzip or not;
//   - CloudTrail Lake PutAuditEvents (POST /PutAuditEvents), answered "all accepted".
// It verifies no signature and stores nothing: it counts the records it accepted and, through
// the sequence marker each bench record carries, which ones arrived more than once.
// Faults apply to the data calls only (PutLogEvents, /v1/logs, PutAuditEvents), as the local
// lake's do: `throttle` answers each API's throttling error, `reset` destroys the connection
// before anything is accepted. `setDown('refused' | '503' | false)` simulates an outage.
import { createServer } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { countProtobufLogRecords } from './otlp-protobuf.mjs';
import { markersIn } from './workload.mjs';

const JSON_11 = 'application/x-amz-json-1.1';

/** A small seeded generator (xorshift32), so that a faulty run can be repeated. */
function random(seed) {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

class ServiceError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function createCounters() {
  return { requests: 0, accepted: 0, records: 0, seen: new Set(), duplicates: 0, unmarked: 0, throttled: 0, reset: 0, bytes: 0 };
}

/**
 * Starts the fake on 127.0.0.1. Options: `latencyMs` (added before every answer), `faults`
 * ({ throttle: rate, reset: rate, seed }), `port` (default: a free one).
 */
export async function startFakeEndpoint({ latencyMs = 0, faults = {}, port = 0 } = {}) {
  const draw = random(faults.seed);
  const counters = createCounters();
  const logGroups = new Map();
  const sockets = new Set();
  let down = false;

  const accept = (records, text, bytes) => {
    const markers = markersIn(text);
    if (markers.length !== records) counters.unmarked += Math.abs(records - markers.length);
    for (const n of markers) {
      if (counters.seen.has(n)) counters.duplicates++;
      else counters.seen.add(n);
    }
    counters.records += records;
    counters.bytes += bytes;
    counters.accepted++;
  };

  /** Throws the throttling error, or destroys the socket, when a fault fires; returns false when the request must not be answered. */
  const injectFaults = (req, throttle) => {
    if (down === '503') throw new ServiceError(503, 'ServiceUnavailableException', 'The service is unavailable (bench outage).');
    if (faults.reset && draw() < faults.reset) {
      counters.reset++;
      req.socket.destroy();
      return false;
    }
    if (faults.throttle && draw() < faults.throttle) {
      counters.throttled++;
      throw throttle;
    }
    return true;
  };

  const cloudWatchLogs = (req, body) => {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^Logs_20140328\./, '');
    const input = body.length ? JSON.parse(body.toString('utf8')) : {};
    const group = logGroups.get(input.logGroupName);
    const notFound = (what) => new ServiceError(400, 'ResourceNotFoundException', `The specified ${what} does not exist.`);
    switch (operation) {
      case 'CreateLogGroup':
        if (group) throw new ServiceError(400, 'ResourceAlreadyExistsException', 'The specified log group already exists');
        logGroups.set(input.logGroupName, new Map());
        return {};
      case 'CreateLogStream':
        if (!group) throw notFound('log group');
        if (group.has(input.logStreamName)) throw new ServiceError(400, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
        group.set(input.logStreamName, { logStreamName: input.logStreamName, creationTime: Date.now(), uploadSequenceToken: '1', storedBytes: 0 });
        return {};
      case 'DescribeLogStreams': {
        if (!group) throw notFound('log group');
        const prefix = input.logStreamNamePrefix ?? '';
        return { logStreams: [...group.values()].filter((s) => s.logStreamName.startsWith(prefix)) };
      }
      case 'PutRetentionPolicy':
        if (!group) throw notFound('log group');
        return {};
      case 'PutLogEvents': {
        if (!injectFaults(req, new ServiceError(400, 'ThrottlingException', 'Rate exceeded'))) return undefined;
        const stream = group?.get(input.logStreamName);
        if (!stream) throw notFound(group ? 'log stream' : 'log group');
        const events = input.logEvents;
        if (!Array.isArray(events) || events.length < 1 || events.length > 10_000) throw new ServiceError(400, 'InvalidParameterException', 'logEvents must hold 1 to 10,000 events');
        for (let i = 1; i < events.length; i++) {
          if (events[i].timestamp < events[i - 1].timestamp) throw new ServiceError(400, 'InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
        }
        accept(events.length, body.toString('utf8'), body.length);
        // The sequence token is ignored by the service today; an opaque one is still returned (as AWS's sample shows), which some clients cache.
        stream.uploadSequenceToken = String(Number(stream.uploadSequenceToken) + 1);
        return { nextSequenceToken: stream.uploadSequenceToken };
      }
      default:
        throw new ServiceError(400, 'UnknownOperationException', `The fake does not implement ${operation}.`);
    }
  };

  const otlp = (req, body) => {
    if (!injectFaults(req, new ServiceError(429, 'TooManyRequests', 'throttled'))) return undefined;
    const protobuf = String(req.headers['content-type'] ?? '').includes('protobuf');
    let records = 0;
    if (protobuf) records = countProtobufLogRecords(body);
    else for (const resource of JSON.parse(body.toString('utf8')).resourceLogs ?? []) for (const scope of resource.scopeLogs ?? []) records += scope.logRecords?.length ?? 0;
    accept(records, body.toString(protobuf ? 'latin1' : 'utf8'), body.length);
    return protobuf ? Buffer.alloc(0) : {};
  };

  const putAuditEvents = (req, body) => {
    if (!injectFaults(req, new ServiceError(429, 'ThrottlingException', 'Rate exceeded'))) return undefined;
    const { auditEvents } = JSON.parse(body.toString('utf8'));
    accept(auditEvents.length, body.toString('utf8'), body.length);
    return { successful: auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] };
  };

  const route = (req) => {
    if (req.method !== 'POST') return undefined;
    if (req.url === '/' && req.headers['x-amz-target']) return { handle: cloudWatchLogs, type: JSON_11 };
    if (req.url === '/v1/logs') return { handle: otlp, type: String(req.headers['content-type'] ?? '').includes('protobuf') ? 'application/x-protobuf' : 'application/json' };
    if (req.url?.split('?')[0] === '/PutAuditEvents') return { handle: putAuditEvents, type: 'application/json' };
    return undefined;
  };

  const server = createServer((req, res) => {
    counters.requests++;
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const target = route(req);
        let status = 200;
        let payload;
        let errorCode;
        try {
          if (!target) throw new ServiceError(404, 'NotFound', `nothing at ${req.method} ${req.url}`);
          let body = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          payload = target.handle(req, body);
          if (payload === undefined) return; // the connection was reset
        } catch (error) {
          status = error instanceof ServiceError ? error.status : 400;
          errorCode = error instanceof ServiceError ? error.code : 'SerializationException';
          payload = { __type: errorCode, message: error.message };
        }
        if (latencyMs > 0) await delay(latencyMs);
        if (res.destroyed) return;
        const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
        const headers = { 'content-type': target?.type ?? 'application/json', 'content-length': bytes.length, 'x-amzn-requestid': `fake-${counters.requests}` };
        if (errorCode) headers['x-amzn-errortype'] = errorCode;
        res.writeHead(status, headers).end(bytes);
      })();
    });
    req.on('error', () => {});
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = (at) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server.address().port);
      });
    });
  const boundPort = await listen(port);
  const url = `http://127.0.0.1:${boundPort}`;

  return {
    url,
    port: boundPort,
    /** What was accepted so far: records (with duplicates), distinct records, duplicates, and the faults that fired. */
    counts() {
      const { seen, ...rest } = counters;
      return { ...rest, distinct: seen.size };
    },
    /** `'refused'`: stop listening and drop open connections; `'503'`: answer data calls with 503; `false`: back to normal. */
    async setDown(mode) {
      if (mode === down) return;
      if (down === 'refused') await listen(boundPort);
      down = mode;
      if (mode === 'refused') {
        await new Promise((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
      }
    },
    async close() {
      if (down === 'refused') return;
      await new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
