import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventQueue, type PendingEvent } from '../src/batcher.js';
import { auditEventEntry, auditEventEntryBytes, encodeEventData, eventDataChecksum, requestBody, requestBodyBuffer, requestBodyBytes, type AuditEvent } from '../src/index.js';

let seq = 0;
function pending(event: AuditEvent): PendingEvent {
  return { event, entry: auditEventEntry(event), bytes: auditEventEntryBytes(event), seq: ++seq, deadline: 0, attempts: 0, tracker: undefined };
}

const awkward = ['plain', 'quote " and backslash \\', 'tab\tnewline\ncontrol\u0001', 'é€𝄞😀', '</script>\u2028\u2029', ''];

describe('request body byte arithmetic', () => {
  it('matches the UTF-8 length of the JSON body exactly, escaping included', () => {
    const events: AuditEvent[] = awkward.map((text, i) => {
      const { json } = encodeEventData({ text, n: i, nested: { text } });
      return i % 2 === 0 ? { id: `id-${i}`, eventData: json, eventDataChecksum: eventDataChecksum(json) } : { id: `id_${i}`, eventData: json };
    });
    const sum = events.reduce((total, event) => total + auditEventEntryBytes(event), 0);
    expect(requestBodyBytes(sum, events.length)).toBe(Buffer.byteLength(JSON.stringify({ auditEvents: events }), 'utf8'));
    expect(requestBody(events.map(auditEventEntry))).toBe(JSON.stringify({ auditEvents: events }));
    const entries = events.map((event) => ({ entry: auditEventEntry(event), bytes: auditEventEntryBytes(event) }));
    expect(requestBodyBuffer(entries).equals(Buffer.from(JSON.stringify({ auditEvents: events })))).toBe(true);
    expect(requestBodyBuffer([]).toString()).toBe('{"auditEvents":[]}');
    expect(requestBodyBytes(0, 0)).toBe(Buffer.byteLength('{"auditEvents":[]}'));
  });

  it('encodeEventData writes what JSON.stringify writes, and measures the capped fields when a cap could matter', () => {
    const small = { version: '1', requestParameters: { q: 'é"' }, additionalEventData: { a: [1, 'x'] }, skip: undefined };
    expect(encodeEventData(small)).toEqual({ json: JSON.stringify(small), fieldBytes: {} });
    const large = { requestParameters: { q: 'é'.repeat(10_000) }, additionalEventData: { a: [1, 'x'] } };
    expect(encodeEventData(large).fieldBytes).toEqual({ requestParameters: 20_008, additionalEventData: Buffer.byteLength('{"a":[1,"x"]}') });
  });

  it('checksums the UTF-8 bytes of eventData (base64 SHA-256, as `printf %s | openssl dgst -sha256 | base64`)', () => {
    expect(eventDataChecksum('')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect(eventDataChecksum('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('base64'));
  });
});

describe('EventQueue', () => {
  const event = (id: string, size = 10) => pending({ id, eventData: 'x'.repeat(size) });

  it('takes at most maxEvents, in order', () => {
    const queue = new EventQueue();
    for (let i = 0; i < 250; i++) queue.push(event(`e${i}`));
    expect(queue.hasFullBatch(100, 1_000_000)).toBe(true);
    const batch = queue.takeBatch(100, 1_000_000);
    expect(batch.map((p) => p.event.id)).toEqual(Array.from({ length: 100 }, (_, i) => `e${i}`));
    expect(queue.takeBatch(100, 1_000_000)).toHaveLength(100);
    expect(queue.hasFullBatch(100, 1_000_000)).toBe(false);
    expect(queue.takeBatch(100, 1_000_000)).toHaveLength(50);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it('fills a batch up to the byte ceiling exactly, never over it', () => {
    const queue = new EventQueue();
    const items = Array.from({ length: 10 }, (_, i) => event(`b${i}`, 1000));
    for (const item of items) queue.push(item);
    const perEntry = items[0]!.bytes;
    const ceiling = requestBodyBytes(perEntry * 3, 3); // exactly three fit
    expect(queue.hasFullBatch(100, ceiling)).toBe(true);
    const batch = queue.takeBatch(100, ceiling);
    expect(batch).toHaveLength(3);
    expect(Buffer.byteLength(JSON.stringify({ auditEvents: batch.map((p) => p.event) }))).toBe(ceiling);
    expect(queue.takeBatch(100, ceiling - 1)).toHaveLength(2);
  });

  it('always takes at least one event, even one larger than the ceiling', () => {
    const queue = new EventQueue();
    queue.push(event('big', 5000));
    expect(queue.takeBatch(100, 1000)).toHaveLength(1);
  });

  it('never puts the same id twice in one batch', () => {
    const queue = new EventQueue();
    for (const id of ['a', 'b', 'a', 'c']) queue.push(event(id));
    expect(queue.takeBatch(100, 1_000_000).map((p) => p.event.id)).toEqual(['a', 'b']);
    expect(queue.takeBatch(100, 1_000_000).map((p) => p.event.id)).toEqual(['a', 'c']);
  });
});
