// The floor of each wire format, as an OpenTelemetry exporter: what any client must do to put
// the bench's records into PutAuditEvents or PutLogEvents, and nothing else. Written for exactly
// these records (bench/workload.mjs: the `audit` attribute names the event's fields), so it
// maps nothing generically, validates nothing, keeps nothing on disk, retries nothing and counts
// nothing: per record it builds the same `eventData` auditlake sends (same members in the same
// order, within a few % of its size on the wire), serializes it, and for PutAuditEvents takes its SHA-256 and
// escapes it into the body; per request it signs and sends through core's HTTP client (the
// signature and the socket are part of any client's work). Run under the SDK's
// BatchLogRecordProcessor, it is what a hand-written exporter could reach: the peers' table
// compares auditlake with it as well as with the peers.
import { hash, randomUUID } from 'node:crypto';

const EXPORT_SUCCESS = 0;
const EXPORT_FAILED = 1;

/** The record's time in epoch milliseconds. */
const epochMs = (log) => log.hrTime[0] * 1000 + Math.floor(log.hrTime[1] / 1e6);

/** The `eventData` auditlake's mapping writes for a bench record, built directly. */
function eventData(log, service, accountId) {
  const attributes = log.attributes;
  const audit = attributes.audit;
  const rest = {};
  for (const key in attributes) if (key !== 'audit') rest[key] = attributes[key];
  return JSON.stringify({
    version: '1.0',
    userIdentity: { principalId: audit.userIdentity.principalId, type: 'CustomUserIdentity' },
    userAgent: audit.userAgent,
    eventSource: service,
    eventName: audit.eventName,
    eventTime: `${new Date(epochMs(log)).toISOString().slice(0, 19)}Z`,
    UID: randomUUID(),
    requestParameters: audit.requestParameters,
    responseElements: audit.responseElements,
    sourceIPAddress: audit.sourceIPAddress,
    recipientAccountId: accountId,
    additionalEventData: { message: log.body, severity: log.severityText, attributes: rest },
  });
}

const serviceName = (log) => log.resource.attributes['service.name'];

/** auditlake's default `maxConcurrentRequests`: the SDK's batch processor would start every batch of a burst at once at shutdown. */
const CONCURRENCY = 4;

/**
 * Calls `send(part)` per request, for parts of at most `perRequest` records of each export, at
 * most {@link CONCURRENCY} requests at a time, and reports the SDK's result code; a failed
 * request fails the export (the SDK says so, nothing is retried).
 */
function exportWith(send, perRequest) {
  let running = 0;
  const waiting = [];
  const next = () => {
    running--;
    waiting.shift()?.();
  };
  const limited = async (logs) => {
    if (running >= CONCURRENCY) await new Promise((resolve) => waiting.push(resolve));
    running++;
    try {
      await send(logs);
    } finally {
      next();
    }
  };
  const parts = (logs) => {
    const all = [];
    for (let at = 0; at < logs.length; at += perRequest) all.push(limited(logs.slice(at, at + perRequest)));
    return Promise.all(all);
  };
  return (logs, done) => {
    parts(logs).then(
      () => done({ code: EXPORT_SUCCESS }),
      (error) => done({ code: EXPORT_FAILED, error }),
    );
  };
}

/**
 * PutAuditEvents: per record eventData, its checksum and its escaped entry; per request the
 * body, signed and sent. An export of the SDK's batch size (512) goes out as requests of 100,
 * the service's limit: a processor batch of 100 would make the SDK's own queue handling cost
 * more (it splices every batch off the front of its buffer).
 */
export function putAuditEventsFloorExporter(client, channelArn) {
  const accountId = channelArn.split(':')[4];
  let sequence = 0;
  const send = async (logs) => {
    const entries = new Array(logs.length);
    for (let i = 0; i < logs.length; i++) {
      const data = eventData(logs[i], serviceName(logs[i]), accountId);
      entries[i] = `{"id":"${(sequence++).toString(36)}","eventData":${JSON.stringify(data)},"eventDataChecksum":"${hash('sha256', data, 'base64')}"}`;
    }
    const body = Buffer.from(`{"auditEvents":[${entries.join(',')}]}`, 'utf8');
    const output = await client.send({ channelArn, auditEvents: [] }, { body });
    if (output.failed.length > 0) throw new Error(`${output.failed.length} events failed: ${output.failed[0].errorCode}`);
  };
  return { export: exportWith(send, 100), shutdown: async () => client.destroy(), forceFlush: async () => {} };
}

/** PutLogEvents: per record eventData as the message; per request the body, signed and sent. The stream is made once, first. */
export function putLogEventsFloorExporter(client, logGroupName, logStreamName, accountId) {
  const created = client.createLogGroup({ logGroupName }).then(() => client.createLogStream({ logGroupName, logStreamName }));
  const send = async (logs) => {
    await created;
    const logEvents = new Array(logs.length);
    for (let i = 0; i < logs.length; i++) {
      const log = logs[i];
      logEvents[i] = { timestamp: epochMs(log), message: eventData(log, serviceName(log), accountId) };
    }
    // One batch is one burst of one process: already in time order.
    await client.putLogEvents({ logGroupName, logStreamName, logEvents });
  };
  return { export: exportWith(send, Infinity), shutdown: async () => client.destroy(), forceFlush: async () => {} };
}
