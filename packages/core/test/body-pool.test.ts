import { describe, expect, it } from 'vitest';
import { BodyPool } from '../src/destinations/body-pool.js';

describe('BodyPool', () => {
  it('gives a buffer of exactly the size asked, on memory given back before when it is large enough', () => {
    const pool = new BodyPool(2);
    const first = pool.take(100_000);
    expect(first.length).toBe(100_000);
    pool.give(first);
    const second = pool.take(90_000);
    expect(second.length).toBe(90_000);
    expect(second.buffer).toBe(first.buffer);
    // Memory rounded up to 64 KiB: a slightly larger body fits too.
    pool.give(second);
    const third = pool.take(131_072);
    expect(third.buffer).toBe(first.buffer);
    pool.give(third);
    const larger = pool.take(131_073);
    expect(larger.buffer).not.toBe(first.buffer);
  });

  it('never gives the same memory to two bodies at once', () => {
    const pool = new BodyPool(4);
    const a = pool.take(1_000);
    const b = pool.take(1_000);
    expect(b.buffer).not.toBe(a.buffer);
    pool.give(a);
    const c = pool.take(1_000);
    expect(c.buffer).toBe(a.buffer);
    expect(pool.take(1_000).buffer).not.toBe(b.buffer);
  });

  it('keeps at most `keep` buffers, the larger ones', () => {
    const pool = new BodyPool(2);
    const small = pool.take(1_000);
    const large = pool.take(500_000);
    const medium = pool.take(200_000);
    pool.give(small);
    pool.give(large);
    pool.give(medium);
    // The small one made room for the medium one: both larger ones are reused.
    const taken = [pool.take(150_000), pool.take(150_000)].map((b) => b.buffer);
    expect(taken).toContain(large.buffer);
    expect(taken).toContain(medium.buffer);
    expect(pool.take(1_000).buffer).not.toBe(small.buffer);
  });
});
