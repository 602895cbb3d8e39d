import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink, type AuditSink, type AuditSinkOptions, type PutAuditEventsInput, type PutAuditEventsOutput } from '../src/index.js';
import { SegmentCursor } from '../src/spool/segment.js';
import { auditRecord, CHANNEL_ARN, deadLetters, expectInvariant, quietDiagnostics } from './helpers.js';

const dirs: string[] = [];
const sinks: AuditSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.shutdown()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-spool-'));
  dirs.push(dir);
  return dir;
}

/** An endpoint that can be down (refusing connections) or up, and that remembers every id it accepted, duplicates included. */
function endpoint(up = true) {
  const state = { up, accepted: [] as string[], attempts: [] as string[][], gate: undefined as Promise<void> | undefined };
  const send = async (input: PutAuditEventsInput): Promise<PutAuditEventsOutput> => {
    const ids = input.auditEvents.map((event) => event.id);
    state.attempts.push(ids);
    if (state.gate) await state.gate;
    if (!state.up) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    state.accepted.push(...ids);
    return { successful: ids.map((id) => ({ id, eventID: `ev-${id}` })), failed: [] };
  };
  return { state, send };
}

function spoolSink(spoolDir: string, send: AuditSinkOptions['send'], options: Partial<AuditSinkOptions> = {}) {
  const dead = deadLetters();
  const quiet = quietDiagnostics();
  const sink = createAuditSink({
    channelArn: CHANNEL_ARN,
    send,
    spoolDir,
    deadLetter: dead.handler,
    diagnostics: quiet.diagnostics,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    shutdownTimeoutMs: 100,
    persistOnExit: false,
    env: {},
    ...options,
  });
  sinks.push(sink);
  return { sink, dead, quiet };
}

const segments = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((name) => name.endsWith('.seg'));
/** Frames in a segment file, read as a sink taking the directory over would. */
function framesIn(path: string): number {
  const cursor = new SegmentCursor(path);
  let frames = 0;
  while (cursor.next().kind === 'frame') frames++;
  return frames;
}

describe('the spool', () => {
  it('keeps what an outage left undelivered, and a later sink on the directory sends it with the original ids', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    for (let i = 0; i < 500; i++) first.sink.add(auditRecord(i));
    await vi.waitFor(() => expect(down.state.attempts.length).toBeGreaterThan(2));
    await first.sink.shutdown();
    const offered = new Set(down.state.attempts.flat());
    expect(first.sink.stats()).toMatchObject({ added: 500, delivered: 0, deadLettered: { total: 0 }, queuedEvents: 500, inFlightEvents: 0 });
    expect(first.dead.letters).toHaveLength(0);
    expect(first.quiet.at('warn').some((m) => m.includes('shutdown left 500 undelivered event(s) in the spool'))).toBe(true);
    expect(segments(dir)).toHaveLength(1);

    const up = endpoint(true);
    const second = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(up.state.accepted).toHaveLength(500));
    await second.sink.flush();
    expect(second.sink.stats()).toMatchObject({ added: 0, recovered: 500, delivered: 500 });
    expectInvariant(second.sink.stats());
    // Every id the first sink tried is among those the second one delivered: the same events, not copies.
    for (const id of offered) expect(up.state.accepted).toContain(id);
    expect(new Set(up.state.accepted).size).toBe(500);
    await second.sink.shutdown();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('deliver() reports what shutdown leaves in the spool as kept, beside what it dead-lettered', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const { sink, dead } = spoolSink(dir, down.send);
    sink.add(auditRecord(100)); // no one waits for this one
    const report = sink.deliver([auditRecord(1), auditRecord(2), auditRecord(3, { eventTime: 'yesterday' })]);
    await vi.waitFor(() => expect(down.state.attempts.length).toBeGreaterThan(1));
    await sink.shutdown();
    expect(await report).toEqual({ delivered: 0, deadLettered: 1, skipped: 0, kept: 2 });
    expect(dead.codes()).toEqual(['InvalidData']);
    expect(sink.stats()).toMatchObject({ queuedEvents: 3, deadLettered: { total: 1 } });
    expectInvariant(sink.stats());
  });

  it('holds only a window in memory (maxQueueEvents, maxQueueBytes): a backlog far beyond it is read back from disk, in acceptance order, once each', async () => {
    const dir = tempDir();
    const api = endpoint(true);
    let open!: () => void;
    api.state.gate = new Promise((resolve) => (open = resolve));
    const { sink } = spoolSink(dir, api.send, { maxConcurrentRequests: 1, spoolSegmentBytes: 256 * 1024, maxQueueEvents: 300 });
    const N = 5000;
    for (let i = 0; i < N; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    // One batch is in flight; the rest waits on disk, and memory holds only the window.
    expect(sink.stats()).toMatchObject({ queuedEvents: N - 100, inFlightEvents: 100 });
    expect(sink.stats().spool!.memoryEvents).toBeLessThanOrEqual(300);
    expect(sink.stats().spool!.diskBytes).toBeGreaterThan(N * 300);
    expect(segments(dir).length).toBeGreaterThan(4);
    open();
    await sink.flush();
    expect(api.state.accepted).toHaveLength(N);
    expect(new Set(api.state.accepted).size).toBe(N);
    const principals = api.state.attempts.flat().length;
    expect(principals).toBe(N);
    expectInvariant(sink.stats());
    // Segments are removed once every event in them is settled (the one being written stays until shutdown).
    await vi.waitFor(() => expect(segments(dir)).toHaveLength(1));
  });

  it('a burst within the window is sent from memory, never read back; every event is on disk all the same', async () => {
    const dir = tempDir();
    const api = endpoint(true);
    let open!: () => void;
    api.state.gate = new Promise((resolve) => (open = resolve));
    const { sink } = spoolSink(dir, api.send, { maxConcurrentRequests: 1, spoolSegmentBytes: 256 * 1024, spoolSyncIntervalMs: 0 });
    const N = 3000;
    for (let i = 0; i < N; i++) sink.add(auditRecord(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.stats().spool!.memoryEvents).toBe(N - 100);
    expect(sink.stats().spool!.diskBytes).toBeGreaterThan(N * 300);
    // Another process taking the directory over now would find every event.
    const onDisk = segments(dir).reduce((count, name) => count + framesIn(join(dir, name)), 0);
    expect(onDisk).toBe(N);
    open();
    await sink.flush();
    expect(new Set(api.state.accepted).size).toBe(N);
    expectInvariant(sink.stats());
    await sink.shutdown();
  });

  it('a producer that waits (waitForCapacity) is held while the memory window is full, as without a spool: the burst is sent from memory', async () => {
    const dir = tempDir();
    const api = endpoint(true);
    let open!: () => void;
    api.state.gate = new Promise((resolve) => (open = resolve));
    const { sink } = spoolSink(dir, api.send, { maxQueueEvents: 300, maxConcurrentRequests: 1 });
    let waits = 0;
    let most = 0;
    const producer = (async () => {
      for (let i = 0; i < 2000; i++) {
        sink.add(auditRecord(i));
        most = Math.max(most, sink.stats().spool!.memoryEvents);
        const wait = sink.waitForCapacity();
        if (wait) {
          waits++;
          await wait;
        }
      }
    })();
    await vi.waitFor(() => expect(waits).toBe(1));
    open();
    await producer;
    await sink.flush();
    expect(most).toBeLessThanOrEqual(300);
    expect(new Set(api.state.accepted).size).toBe(2000);
    expect(sink.stats().deadLettered.total).toBe(0);
  });

  it('in an outage the producer is let go after maxBlockMs: events then go to disk only, nothing is shed, and the warning says so', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const { sink, dead, quiet } = spoolSink(dir, down.send, { maxQueueEvents: 300, maxBlockMs: 50 });
    for (let i = 0; i < 3000; i++) {
      sink.add(auditRecord(i));
      const wait = sink.waitForCapacity();
      if (wait) await wait;
    }
    expect(sink.stats()).toMatchObject({ added: 3000, deadLettered: { total: 0 } });
    expect(sink.stats().spool!.memoryEvents).toBeLessThanOrEqual(300);
    expect(dead.letters).toHaveLength(0);
    expect(quiet.at('warn').some((m) => m.includes('writing new events to the spool only'))).toBe(true);
    down.state.up = true;
    await sink.flush();
    expect(new Set(down.state.accepted).size).toBe(3000);
  });

  it('while the destination is down, memory holds only what is in flight and the next batches: the rest waits on disk', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    // The default window (maxQueueEvents 50,000) would hold all of them in memory.
    const { sink, dead } = spoolSink(dir, down.send, { maxBlockMs: 10_000, flushIntervalMs: 0 });
    sink.add(auditRecord(0));
    // The first request and its resend are refused: the destination is down from now on.
    while (sink.stats().retried < 2) await new Promise((resolve) => setImmediate(resolve));
    for (let i = 1; i < 3000; i++) {
      sink.add(auditRecord(i));
      const wait = sink.waitForCapacity();
      if (wait) await wait;
    }
    expect(sink.stats()).toMatchObject({ added: 3000, deadLettered: { total: 0 } });
    // In flight (4 requests of at most 100) and two batches read ahead.
    expect(sink.stats().spool!.memoryEvents).toBeLessThanOrEqual(600);
    down.state.up = true;
    await sink.flush();
    expect(new Set(down.state.accepted).size).toBe(3000);
    expect(dead.letters).toHaveLength(0);
  });

  it('sends in acceptance order when the backlog is read back from disk', async () => {
    const dir = tempDir();
    const order: string[] = [];
    const api = endpoint(true);
    let open!: () => void;
    api.state.gate = new Promise((resolve) => (open = resolve));
    const { sink } = spoolSink(dir, async (input) => {
      order.push(...input.auditEvents.map((event) => (JSON.parse(event.eventData) as { userIdentity: { principalId: string } }).userIdentity.principalId));
      return api.send(input);
    }, { maxConcurrentRequests: 1 });
    for (let i = 0; i < 1000; i++) sink.add(auditRecord(i));
    open();
    await sink.flush();
    expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => `user-${i}`));
  });

  it('does not send again what its checkpoint records as settled', async () => {
    const dir = tempDir();
    const api = endpoint(true);
    const first = spoolSink(dir, api.send, { spoolSyncIntervalMs: 0 });
    for (let i = 0; i < 300; i++) first.sink.add(auditRecord(i));
    await first.sink.flush();
    api.state.up = false;
    for (let i = 300; i < 400; i++) first.sink.add(auditRecord(i));
    await vi.waitFor(() => expect(api.state.attempts.length).toBeGreaterThan(4));
    await first.sink.shutdown();
    expect(api.state.accepted).toHaveLength(300);

    api.state.up = true;
    const second = spoolSink(dir, api.send);
    await vi.waitFor(() => expect(api.state.accepted).toHaveLength(400));
    expect(new Set(api.state.accepted).size).toBe(400);
    expect(second.sink.stats().recovered).toBe(100);
  });

  it('recovers from a torn tail: the incomplete last frame is reported and ignored, the frames before it are sent', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    for (let i = 0; i < 50; i++) first.sink.add(auditRecord(i));
    await first.sink.shutdown();
    const [segment] = segments(dir);
    // A crash in the middle of a write: a frame header that promises more than was written.
    const torn = Buffer.alloc(60);
    torn.writeUInt32LE(500, 0);
    torn[33] = 10;
    appendFileSync(join(dir, segment as string), torn);

    const up = endpoint(true);
    const second = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(up.state.accepted).toHaveLength(50));
    expect(second.quiet.at('warn').some((m) => /ends with 60 byte\(s\) of an incomplete frame/.test(m))).toBe(true);
    await second.sink.shutdown();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips a frame whose checksum fails, reports it loudly, and sends all the others', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    for (let i = 0; i < 20; i++) first.sink.add(auditRecord(i));
    await first.sink.shutdown();
    const path = join(dir, segments(dir)[0] as string);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff; // a flipped bit in the last event's text
    writeFileSync(path, bytes);

    const up = endpoint(true);
    const second = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(up.state.accepted).toHaveLength(19));
    expect(second.quiet.at('error').some((m) => /damaged frame .*checksum mismatch.*that event is skipped/.test(m))).toBe(true);
  });

  it('moves a file that is not a segment aside instead of reading or deleting it', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    first.sink.add(auditRecord(1));
    await first.sink.shutdown();
    const owned = readdirSync(dir)[0] as string;
    writeFileSync(join(dir, owned, '0000000099.seg'), 'not a segment at all');

    const up = endpoint(true);
    const second = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(up.state.accepted).toHaveLength(1));
    expect(second.quiet.at('error').some((m) => m.includes('is not a segment'))).toBe(true);
    expect(readdirSync(join(dir, '.quarantine'))).toHaveLength(1);
  });

  it('lets several live sinks share one directory: each writes its own, none takes a live one’s events', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const a = spoolSink(dir, down.send);
    const b = spoolSink(dir, down.send);
    for (let i = 0; i < 10; i++) {
      a.sink.add(auditRecord(i));
      b.sink.add(auditRecord(100 + i));
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(readdirSync(dir).filter((name) => !name.startsWith('.'))).toHaveLength(2);
    // A third sink starting now finds both owners alive: it adopts nothing.
    const up = endpoint(true);
    const c = spoolSink(dir, up.send);
    c.sink.add(auditRecord(999));
    await c.sink.flush();
    expect(up.state.accepted).toHaveLength(1);
    expect(c.sink.stats().recovered).toBe(0);
    // Once a is shut down (its events left behind), the next sink takes them over; b's stay b's.
    await a.sink.shutdown();
    const d = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(d.sink.stats().delivered).toBe(10));
    expect(d.sink.stats().recovered).toBe(10);
    expect(b.sink.stats().queuedEvents + b.sink.stats().inFlightEvents).toBe(10);
  });

  it('passes a backlog down a chain of owners: a sink that adopted a directory and died without sending it hands it on whole', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    for (let i = 0; i < 50; i++) first.sink.add(auditRecord(i));
    await first.sink.shutdown();
    // The second sink takes the first one's directory over, sends nothing (still down) and writes nothing of its own.
    const second = spoolSink(dir, down.send);
    expect(second.sink.stats().recovered).toBeGreaterThan(0);
    await second.sink.shutdown();
    const up = endpoint(true);
    const third = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(new Set(up.state.accepted).size).toBe(50));
    await third.sink.shutdown();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('counts the disk budget: beyond maxSpoolBytes, new events are dead-lettered QueueFull', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const { sink, dead } = spoolSink(dir, down.send, { maxSpoolBytes: 1024 * 1024, maxBlockMs: 0 });
    const big = { requestParameters: { blob: 'x'.repeat(20_000) } };
    for (let i = 0; i < 80; i++) sink.add(auditRecord(i, big));
    expect(dead.codes().length).toBeGreaterThan(20);
    expect(new Set(dead.codes())).toEqual(new Set(['QueueFull']));
    expect(dead.letters[0]!.reason.message).toContain('maxSpoolBytes 1048576');
    const onDisk = segments(dir).reduce((total, name) => total + statSync(join(dir, name)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(1024 * 1024);
    expectInvariant(sink.stats());
  });

  it('re-encodes nothing it cannot read: an entry of an unknown format is dead-lettered SpoolFormat, the rest sent', async () => {
    const dir = tempDir();
    const down = endpoint(false);
    const first = spoolSink(dir, down.send);
    for (let i = 0; i < 3; i++) first.sink.add(auditRecord(i));
    await first.sink.shutdown();
    const path = join(dir, segments(dir)[0] as string);
    const bytes = readFileSync(path);
    // The first frame starts after the 8-byte magic; its format byte is at 32, covered by the CRC at 4.
    const { crc32 } = await import('node:zlib');
    const start = 8;
    const size = 40 + (bytes[start + 33] as number) + bytes.readUInt32LE(start);
    bytes[start + 32] = 99;
    bytes.writeUInt32LE(crc32(bytes.subarray(start + 8, start + size)), start + 4);
    writeFileSync(path, bytes);

    const up = endpoint(true);
    const second = spoolSink(dir, up.send);
    await vi.waitFor(() => expect(up.state.accepted).toHaveLength(2));
    expect(second.dead.codes()).toEqual(['SpoolFormat']);
    expectInvariant(second.sink.stats());
  });

  it('syncs to disk at once on flush() and cleans up after itself on shutdown', async () => {
    const dir = tempDir();
    const api = endpoint(true);
    const { sink } = spoolSink(dir, api.send);
    for (let i = 0; i < 10; i++) sink.add(auditRecord(i));
    await sink.flush();
    expect(api.state.accepted).toHaveLength(10);
    await sink.shutdown();
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});
