import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, COMPACT_AFTER_CHUNKS, copyEntries, liveEntryBytes, OWN_BUFFER_BYTES, releaseEntry, storeEntry, storeEntryBytes, type EntryBytes } from '../src/entry-bytes.js';

describe('the entry store', () => {
  it.each([
    ['ASCII', '{"id":"a","eventData":"{\\"k\\":1}"}'],
    ['two- and three-byte characters', 'é€'.repeat(100)],
    ['surrogate pairs', '😀𝄞'.repeat(50)],
    ['an empty entry', ''],
    ['an entry just within a shared chunk', 'x'.repeat(OWN_BUFFER_BYTES)],
    ['an entry with a buffer of its own', 'y'.repeat(OWN_BUFFER_BYTES + 1)],
    ['a large multi-byte entry', '€'.repeat(200_000)],
  ])('keeps %s byte for byte', (_name, text) => {
    const entry = storeEntry(text);
    expect(entry.length).toBe(Buffer.byteLength(text));
    expect(entry.text()).toBe(text);
    const target = Buffer.alloc(entry.length + 2, 0x2e);
    expect(entry.copyTo(target, 1)).toBe(entry.length);
    expect(target.subarray(1, -1).equals(Buffer.from(text))).toBe(true);
    expect(target[0]).toBe(0x2e);
    expect(target.at(-1)).toBe(0x2e);
    const again = storeEntryBytes(target, 1, 1 + entry.length);
    expect(again.text()).toBe(text);
  });

  it('tells the byte at a place, from the start or the end', () => {
    const entry = storeEntry('{"id":"a","eventDataChecksum":"x="}');
    expect(entry.byteAt(0)).toBe(0x7b);
    expect(entry.byteAt(-3)).toBe(0x3d);
    expect(entry.byteAt(-100)).toBe(-1);
    expect(entry.byteAt(entry.length)).toBe(-1);
  });

  it('copies entries into a body with a comma between each two, runs of neighbours or not', () => {
    const texts = Array.from({ length: 120 }, (_, i) => `{"n":${i},"t":"${'é'.repeat(i % 7)}"}`);
    const entries = texts.map((text) => storeEntry(text));
    // Out of order, with gaps, and one from a buffer of its own.
    const big = storeEntry(`{"big":"${'b'.repeat(OWN_BUFFER_BYTES)}"}`);
    const picked: EntryBytes[] = [...entries.slice(0, 50), big, ...entries.slice(60, 80), entries[55]!, ...entries.slice(100)];
    const expected = Buffer.from(picked.map((entry) => entry.text()).join(','));
    const body = Buffer.alloc(expected.length + 4, 0x2e);
    expect(copyEntries(picked, body, 2)).toBe(expected.length);
    expect(body.subarray(2, -2).equals(expected)).toBe(true);
    expect([body[1], body.at(-2)]).toEqual([0x2e, 0x2e]);
    expect(copyEntries([], body, 0)).toBe(0);
  });

  it('keeps a released entry readable (chunks are never reused)', () => {
    const entry = storeEntry('kept as it was');
    releaseEntry(entry);
    releaseEntry(entry);
    for (let i = 0; i < 200; i++) releaseEntry(storeEntry('z'.repeat(2000)));
    expect(entry.text()).toBe('kept as it was');
  });

  it('counts what is held until it is released', () => {
    const before = liveEntryBytes();
    const entries = Array.from({ length: 100 }, (_, i) => storeEntry(`entry ${i} ${'€'.repeat(i)}`));
    entries.push(storeEntry('o'.repeat(OWN_BUFFER_BYTES * 2)));
    expect(liveEntryBytes() - before).toBe(entries.reduce((sum, entry) => sum + entry.length, 0));
    for (const entry of entries) releaseEntry(entry);
    expect(liveEntryBytes()).toBe(before);
  });

  it('moves stragglers out of old chunks: memory stays near the live bytes', () => {
    // One event in each 50 outlives the rest (resent after a per-event Throttling, say).
    const text = (i: number) => `{"id":"e-${i}","eventData":"${'d'.repeat(1200)}"}`;
    const stragglers: { i: number; entry: EntryBytes }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const entry = storeEntry(text(i));
      if (i % 50 === 0) stragglers.push({ i, entry });
      else releaseEntry(entry);
    }
    const liveBytes = stragglers.reduce((sum, { entry }) => sum + entry.length, 0);
    // Without the moves, each straggler would pin a chunk of its own: 400 chunks.
    const pinned = new Set(stragglers.map(({ entry }) => entry.chunk)).size;
    expect(pinned * CHUNK_BYTES).toBeLessThanOrEqual(2 * liveBytes + (COMPACT_AFTER_CHUNKS + 2) * CHUNK_BYTES);
    for (const { i, entry } of stragglers) expect(entry.text()).toBe(text(i));
    for (const { entry } of stragglers) releaseEntry(entry);
  });
});
