import { createHash } from 'node:crypto';

/** `eventDataChecksum` as the service defines it: base64 of the SHA-256 of eventData's UTF-8 bytes. */
const checksum = (eventData) => createHash('sha256').update(eventData).digest('base64');

/** A pool of distinct integration events of about `eventBytes` each, built once so that load loops only send. */
export function eventPool(size, eventBytes, eventDataChecksum = checksum) {
  return Array.from({ length: size }, (_, i) => {
    const base = {
      version: '1.0',
      userIdentity: { type: 'CustomUserIdentity', principalId: `user-${i % 37}` },
      eventSource: 'bench.auditlake',
      eventName: ['Login', 'Read', 'Update', 'Delete'][i % 4],
      eventTime: '2026-01-01T00:00:00Z',
      UID: `uid-${i}`,
      recipientAccountId: '123456789012',
      sourceIPAddress: `10.0.${i % 256}.${(i * 7) % 256}`,
      requestParameters: { resource: `/items/${i}`, padding: '' },
    };
    const short = JSON.stringify(base).length;
    base.requestParameters.padding = 'x'.repeat(Math.max(0, eventBytes - short));
    const eventData = JSON.stringify(base);
    return { eventData, eventDataChecksum: eventDataChecksum(eventData) };
  });
}
