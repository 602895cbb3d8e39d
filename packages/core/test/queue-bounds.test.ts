import { describe, expect, it } from 'vitest';
import { heldIn, MemoryBounds, type Held } from '../src/queue-bounds.js';

// The memory bound at its edges: an event that exactly fits is taken and one byte more is not,
// by events and by bytes alike; "full" (backpressure holds adapters) and "below low water"
// (it lets them go) turn at their fractions of either bound.

const holding = (heldEvents: number, heldBytes: number): Held => ({ heldEvents, heldBytes });

describe('MemoryBounds', () => {
  it('takes an event that exactly fills maxQueueBytes, and refuses one byte more', () => {
    const bounds = new MemoryBounds(holding(3, 900), 10, 1000);
    expect(bounds.hasRoom(100)).toBe(true);
    expect(bounds.hasRoom(101)).toBe(false);
    // Bytes alone decide here: three events held is far from ten.
    expect(new MemoryBounds(holding(3, 0), 10, 1000).hasRoom(1001)).toBe(false);
  });

  it('takes the last event maxQueueEvents allows, and refuses the next', () => {
    expect(new MemoryBounds(holding(9, 0), 10, 1000).hasRoom(1)).toBe(true);
    expect(new MemoryBounds(holding(10, 0), 10, 1000).hasRoom(1)).toBe(false);
  });

  it('is full at maxQueueEvents, or at 15/16 of maxQueueBytes', () => {
    expect(new MemoryBounds(holding(9, 0), 10, 1600).isFull()).toBe(false);
    expect(new MemoryBounds(holding(10, 0), 10, 1600).isFull()).toBe(true);
    expect(new MemoryBounds(holding(1, 1499), 10, 1600).isFull()).toBe(false);
    expect(new MemoryBounds(holding(1, 1500), 10, 1600).isFull()).toBe(true);
  });

  it('is below low water only when both events and bytes are at or under 3/4 of their bounds', () => {
    expect(new MemoryBounds(holding(30, 750), 40, 1000).belowLowWater()).toBe(true);
    expect(new MemoryBounds(holding(31, 750), 40, 1000).belowLowWater()).toBe(false);
    expect(new MemoryBounds(holding(30, 751), 40, 1000).belowLowWater()).toBe(false);
    expect(new MemoryBounds(holding(0, 751), 40, 1000).belowLowWater()).toBe(false);
  });

  it('names both bounds for the QueueFull message', () => {
    expect(new MemoryBounds(holding(0, 0), 50_000, 33_554_432).describeLimits()).toBe('maxQueueEvents 50000, maxQueueBytes 33554432');
  });

  it('reads what a queue holds when asked, not when made', () => {
    const queue = { length: 0, bytes: 0 };
    const bounds = new MemoryBounds(heldIn(queue), 2, 100);
    expect(bounds.hasRoom(100)).toBe(true);
    queue.length = 1;
    queue.bytes = 60;
    expect(bounds.hasRoom(41)).toBe(false);
    expect(bounds.hasRoom(40)).toBe(true);
    queue.length = 2;
    expect(bounds.hasRoom(1)).toBe(false);
  });
});
