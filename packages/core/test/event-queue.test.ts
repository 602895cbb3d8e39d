import { describe, expect, it } from 'vitest';
import type { BatchLimits, BatchRule, QueuedEvent } from '../src/destination.js';
import { EventQueue, fillBatch, hasFullBatch } from '../src/event-queue.js';

// The in-memory FIFO and the batch arithmetic at their edges: a batch that exactly fills the
// request is full and one byte short is not; an event too large for any batch still goes out
// alone (it fails on its own, it does not stop the queue); bytes are counted back as events leave.

// Envelope 10 bytes, a 1-byte separator: n events of b bytes take 10 + n*b + (n-1).
const LIMITS: BatchLimits = { maxEvents: 3, maxBytes: 100, envelopeBytes: 10, separatorBytes: 1 };
const ANY: BatchRule = { accepts: () => true, add: () => {} };

let seq = 0;
const event = (bytes: number, id = `e${seq}`): QueuedEvent => ({ id, entry: 'x'.repeat(bytes), bytes, timeMs: 0, seq: seq++, acceptedAt: 0, tracker: undefined }) as QueuedEvent;

function queueOf(...sizes: number[]): EventQueue {
  const queue = new EventQueue();
  for (const size of sizes) queue.push(event(size));
  return queue;
}

describe('hasFullBatch', () => {
  it('is full at maxEvents, not one before', () => {
    expect(hasFullBatch({ length: 2, bytes: 2 }, LIMITS)).toBe(false);
    expect(hasFullBatch({ length: 3, bytes: 3 }, LIMITS)).toBe(true);
  });

  it('is full once the batch would pass maxBytes; a batch that exactly fits still waits for more', () => {
    // 10 + 89 = 99 and 10 + 90 = 100 fit; 10 + 91 = 101 does not.
    expect(hasFullBatch({ length: 1, bytes: 90 }, LIMITS)).toBe(false);
    expect(hasFullBatch({ length: 1, bytes: 91 }, LIMITS)).toBe(true);
    // Separators count: two events of 45 take 10 + 90 + 1.
    expect(hasFullBatch({ length: 2, bytes: 89 }, LIMITS)).toBe(false);
    expect(hasFullBatch({ length: 2, bytes: 90 }, LIMITS)).toBe(true);
  });
});

describe('fillBatch and EventQueue.take', () => {
  it('takes events while they fit, exactly up to maxBytes, and leaves the next for another batch', () => {
    // 10 + 40 + 1 + 49 = 100: both fit exactly; a third of 1 byte would make 102.
    const queue = queueOf(40, 49, 1);
    expect(queue.take(LIMITS, ANY).map((e) => e.bytes)).toEqual([40, 49]);
    expect(queue.take(LIMITS, ANY).map((e) => e.bytes)).toEqual([1]);
    expect(queue.take(LIMITS, ANY)).toEqual([]);
  });

  it('takes an event larger than any request on its own, and goes on with the rest', () => {
    const queue = queueOf(500, 5, 5);
    expect(queue.take(LIMITS, ANY).map((e) => e.bytes)).toEqual([500]);
    expect(queue.take(LIMITS, ANY).map((e) => e.bytes)).toEqual([5, 5]);
  });

  it('takes at most maxEvents', () => {
    const queue = queueOf(1, 1, 1, 1);
    expect(queue.take(LIMITS, ANY)).toHaveLength(3);
    expect(queue.length).toBe(1);
  });

  it("takes the first event whatever the rule says, and stops at the first one the rule refuses", () => {
    const seen: string[] = [];
    const rule: BatchRule = { accepts: (e) => e.id !== 'b' && e.id !== 'a', add: (e) => void seen.push(e.id) };
    const queue = new EventQueue();
    for (const id of ['a', 'c', 'b', 'd']) queue.push(event(1, id));
    expect(queue.take(LIMITS, rule).map((e) => e.id)).toEqual(['a', 'c']);
    // The rule heard of every event put in the batch, and of no other.
    expect(seen).toEqual(['a', 'c']);
    expect(queue.peek()?.id).toBe('b');
  });

  it('takes nothing from an empty source', () => {
    expect(fillBatch(LIMITS, ANY, () => undefined, () => expect.unreachable())).toEqual([]);
  });
});

describe('EventQueue', () => {
  it('is not durable: what it holds is lost with the process', () => {
    expect(new EventQueue().durable).toBe(false);
  });

  it('counts the bytes of what it still holds, down as batches leave', () => {
    const queue = queueOf(10, 20, 30, 40);
    expect([queue.length, queue.bytes]).toEqual([4, 100]);
    queue.take({ ...LIMITS, maxEvents: 2 }, ANY);
    expect([queue.length, queue.bytes]).toEqual([2, 70]);
    queue.take(LIMITS, ANY);
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('stays first-in first-out across many batches, pushes in between included', () => {
    const queue = new EventQueue();
    const out: string[] = [];
    let pushed = 0;
    for (let round = 0; round < 2000; round++) {
      for (let i = 0; i < 3; i++) queue.push(event(1, String(pushed++)));
      out.push(...queue.take({ ...LIMITS, maxEvents: 2 }, ANY).map((e) => e.id));
    }
    out.push(...queue.drainVolatile().map((e) => e.id));
    expect(out).toEqual(Array.from({ length: pushed }, (_, i) => String(i)));
    expect([queue.length, queue.bytes]).toEqual([0, 0]);
  });

  it('drains what it still holds, in order, and is empty afterwards', () => {
    const queue = queueOf(1, 2, 3);
    queue.take({ ...LIMITS, maxEvents: 1 }, ANY);
    expect(queue.drainVolatile().map((e) => e.bytes)).toEqual([2, 3]);
    expect([queue.length, queue.bytes, queue.peek()]).toEqual([0, 0, undefined]);
    queue.push(event(7));
    expect([queue.length, queue.bytes]).toEqual([1, 7]);
  });
});
