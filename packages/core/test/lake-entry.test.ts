import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryChecksum, entryHasChecksum } from '../src/destinations/cloudtrail-lake/entry.js';
import { auditEventEntry, newAuditEventId } from '../src/internal.js';

const checksumOf = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('a PutAuditEvents entry', () => {
  // The entry is written by hand, not by JSON.stringify: it must still be exactly what JSON.stringify writes.
  const ids = [newAuditEventId(), 'a', 'A-_z09', 'x'.repeat(128), 'x'.repeat(129), 'with "quote"', 'back\\slash', 'new\nline', 'é', '\uD800', ''];
  const texts = ['{"a":1}', ',"eventDataChecksum":"' + 'A'.repeat(44) + '"}', '{"q":"\\"quoted\\"","u":"\u00e9\u2028\uD83D\uDE00"}', '', '\u0000\u001f'];
  for (const id of ids) {
    it(`is JSON.stringify of the event, with and without a checksum (id ${JSON.stringify(id).slice(0, 24)})`, () => {
      for (const eventData of texts) {
        expect(auditEventEntry(id, eventData, false)).toBe(JSON.stringify({ id, eventData }));
        expect(auditEventEntry(id, eventData, true)).toBe(JSON.stringify({ id, eventData, eventDataChecksum: checksumOf(eventData) }));
        expect(entryHasChecksum(auditEventEntry(id, eventData, true))).toBe(true);
        expect(entryHasChecksum(auditEventEntry(id, eventData, false))).toBe(false);
        expect(entryChecksum(auditEventEntry(id, eventData, true))).toBe(checksumOf(eventData));
        expect(entryChecksum(auditEventEntry(id, eventData, false))).toBeUndefined();
      }
    });
  }
});
