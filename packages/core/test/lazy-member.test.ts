import { describe, expect, it } from 'vitest';
import { withLazyMember } from '../src/destinations/lazy-member.js';

describe('withLazyMember', () => {
  it('builds the member on its first read only, and never when it is not read', () => {
    let builds = 0;
    const unread = withLazyMember({ a: 1 }, 'list', () => ++builds);
    expect(unread.a).toBe(1);
    expect(builds).toBe(0);
    const read = withLazyMember({ a: 1 }, 'list', () => [++builds]);
    const first = read.list;
    expect(read.list).toBe(first);
    expect(builds).toBe(1);
  });

  it('is an own enumerable member after the fields, so that copies hold the plain value', () => {
    const target = withLazyMember({ a: 1, b: 'x' }, 'list', () => [1, 2]);
    expect(Object.keys(target)).toEqual(['a', 'b', 'list']);
    expect(JSON.stringify(target)).toBe('{"a":1,"b":"x","list":[1,2]}');
    expect({ ...target }).toEqual({ a: 1, b: 'x', list: [1, 2] });
    expect(structuredClone(target)).toEqual({ a: 1, b: 'x', list: [1, 2] });
  });
});
