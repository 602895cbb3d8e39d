// The records every logger in the side-by-side benches logs: the same attributes object, about
// 1 KB as JSON, an audit event for auditlake and an ordinary structured record for the peers.
// Each carries a fixed-width sequence marker, so an endpoint can tell delivered records from
// duplicates whatever the wire format (JSON, escaped JSON inside JSON, protobuf).

/** `rb-0000042`: fixed width, so that no byte that follows it in any encoding can extend it. */
export const MARKER = /rb-(\d{7})/g;
const marker = (i) => `rb-${String(i).padStart(7, '0')}`;

/** Target size of `JSON.stringify(record(i))` in bytes. */
export const RECORD_BYTES = 1_000;

function bare(i, padding) {
  return {
    audit: {
      eventName: 'UpdateRoleBinding',
      userIdentity: { principalId: `user-${i % 500}` },
      sourceIPAddress: '203.0.113.42',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
      requestParameters: { role: 'admin', binding: marker(i), scope: { org: 'acme', project: 'payments' }, note: padding },
      responseElements: { status: 'ok', version: i % 1000 },
    },
    'http.route': '/v1/roles/{role}/bindings',
    'http.request.method': 'PUT',
    tenant: 'acme',
  };
}

const PADDING = 'x'.repeat(Math.max(0, RECORD_BYTES - JSON.stringify(bare(0, '')).length));

/** The i-th record (0 ≤ i < 10,000,000). A new object each time, as a service would build it. */
export function record(i) {
  return bare(i, PADDING);
}

/** The i-th record as core's `add()` takes it (what a front end hands over), from service `service`. */
export function sinkRecord(i, service) {
  return { time: Date.now(), message: 'role binding changed', severity: 'INFO', resource: { 'service.name': service }, attributes: record(i) };
}

/** The sequence numbers of the records a text (or latin1-decoded bytes) carries, in order. */
export function markersIn(text) {
  return Array.from(text.matchAll(MARKER), (m) => Number(m[1]));
}
