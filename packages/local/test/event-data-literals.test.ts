import { describe, expect, it } from 'vitest';
import { scanPutAuditEventsBody } from '../src/event-data-literals.js';
import { measureJson } from '../src/json-shape.js';
import { chainHash, frameLine, frameLines } from '../src/stored-event.js';

// The lake stores each eventData literal as the request wrote it, so a literal taken from the
// wrong place, or cut short, would store another event's data or an event that does not parse.
// The rule checked: JSON.parse of each literal is the eventData JSON.parse reads from the body.

/** What JSON.parse reads as each event's eventData (undefined where it is not a string). */
function parsedEventData(body: string): (string | undefined)[] {
  const events = (JSON.parse(body) as { auditEvents?: unknown }).auditEvents;
  if (!Array.isArray(events)) return [];
  return events.map((event: unknown) => {
    const value = (event as { eventData?: unknown } | null)?.eventData;
    return typeof value === 'string' ? value : undefined;
  });
}

function expectLiteralsMatch(body: string): void {
  const shape = scanPutAuditEventsBody(Buffer.from(body, 'utf8'));
  const read = shape.eventData.map((literal) => (literal === undefined ? undefined : (JSON.parse(literal.toString('utf8')) as string)));
  const expected = parsedEventData(body);
  // Positions past the last literal are holes (undefined) either way.
  expect({ body, read: Array.from({ length: expected.length }, (_, i) => read[i]) }).toEqual({ body, read: expected });
  expect(shape.depth).toBe(measureJson(body).depth);
}

/** A small deterministic generator (mulberry32), so that a failure names its seed and repeats. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'eventData', '"', '\\', '\\"', ':', ',', '{', '}', '[', ']', ' ', '\n', 'é', '😀', '\ud83d', '\u2028', '\u0000', 'auditEvents', '\\u0041'];

function randomText(next: () => number): string {
  let text = '';
  const length = Math.floor(next() * 8);
  for (let i = 0; i < length; i++) text += PIECES[Math.floor(next() * PIECES.length)];
  return text;
}

function randomValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 4 : 6));
  if (kind === 0) return randomText(next);
  if (kind === 1) return Math.floor(next() * 1e6) / 100;
  if (kind === 2) return next() < 0.5 ? null : next() < 0.5;
  if (kind === 3) return JSON.stringify({ nested: randomText(next), eventData: randomText(next) });
  if (kind === 4) return Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 3); i > 0; i--) object[next() < 0.3 ? 'eventData' : randomText(next)] = randomValue(next, depth + 1);
  return object;
}

/** JSON as a client might write it: members in any order, extra members, whitespace, escapes JSON.stringify does not use. */
function write(value: unknown, next: () => number): string {
  const space = () => [' ', '', '\n\t', ''][Math.floor(next() * 4)] as string;
  if (typeof value === 'string') {
    const plain = JSON.stringify(value);
    // \/ and \u escapes of plain characters mean the same text.
    return next() < 0.3 ? plain.replace(/[a/]/g, (c) => (c === '/' ? '\\/' : '\\u0061')) : plain;
  }
  if (Array.isArray(value)) return `[${space()}${value.map((item) => write(item, next)).join(`${space()},${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([key, item]) => {
      const name = key === 'eventData' && next() < 0.2 ? '"eventD\\u0061ta"' : JSON.stringify(key);
      return `${name}${space()}:${space()}${write(item, next)}`;
    });
    return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
  }
  return JSON.stringify(value);
}

function randomBody(next: () => number): string {
  const events = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => {
    const members = [`"id":"e${i}"`];
    const eventData = next() < 0.85 ? JSON.stringify({ eventName: randomText(next), requestParameters: randomValue(next, 1) }) : randomValue(next, 1);
    members.push(`"eventData":${write(eventData, next)}`);
    if (next() < 0.3) members.push(`"eventDataChecksum":${write(randomText(next), next)}`);
    if (next() < 0.3) members.push(`"extra":${write(randomValue(next, 1), next)}`);
    // A repeated eventData: JSON.parse keeps the last.
    if (next() < 0.1) members.push(`"eventData":${write(randomValue(next, 1), next)}`);
    for (let j = members.length - 1; j > 0; j--) {
      const k = Math.floor(next() * (j + 1));
      [members[j], members[k]] = [members[k] as string, members[j] as string];
    }
    return `{ ${members.join(' , ')} }`;
  });
  const top = [`"auditEvents" : [${events.join(',\n')}]`];
  if (next() < 0.3) top.unshift(`"other":${write({ auditEvents: [{ eventData: 'decoy' }] }, next)}`);
  if (next() < 0.1) top.unshift(`"auditEvents":[{"id":"old","eventData":"earlier"}]`);
  return `\n{${top.join(',')}}\t`;
}

describe('scanPutAuditEventsBody', () => {
  it("finds each event's eventData literal as written, whatever the layout", () => {
    const cases = [
      '{"auditEvents":[{"id":"a","eventData":"{\\"x\\":1}"}]}',
      '{ "auditEvents" : [ { "eventData" : "\\u007b\\"x\\":\\"\\\\\\"\\"}" , "id" : "a" } ] }',
      '{"auditEvents":[{"id":"a","eventData":null},{"id":"b","eventData":"{}"},{"id":"c"},{"id":"d","eventData":7}]}',
      '{"auditEvents":[{"id":"a","eventData":{"eventData":"inner"}},{"id":"b","eventData":[]}]}',
      '{"auditEvents":[{"id":"a","eventData":"first","eventData":"second"},{"id":"b","eventData":"kept","eventData":null}]}',
      '{"auditEvents":[{"eventData":"dropped"}],"auditEvents":[{"id":"a","eventData":"kept"}]}',
      '{"auditEvents":[{"eventData":"dropped"}],"auditEvents":[{"id":"a"}]}',
      '{"x":{"auditEvents":[{"eventData":"decoy"}]},"auditEvents":[{"id":"a","eventD\\u0061ta":"escaped key"}]}',
      '{"auditEvents":[{"id":"a","eventData":"{\\"u\\":\\"é😀\\\\ud83d\\u2028\\"}"}]}',
      '{"auditEvents":[]}',
      '{}',
    ];
    for (const body of cases) expectLiteralsMatch(body);
  });

  it('agrees with JSON.parse on 3,000 generated bodies', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const body = randomBody(random(seed));
      expect(() => JSON.parse(body), `seed ${seed}`).not.toThrow();
      expectLiteralsMatch(body);
    }
  });

  it('ends on text that is not JSON without throwing (JSON.parse refuses it afterwards)', () => {
    for (const text of ['{"auditEvents":[{"eventData":"open', '{"auditEvents":[{"eventD\\x":1}]}', ']]]}}}', '"\\', '{"a":1']) {
      expect(() => scanPutAuditEventsBody(Buffer.from(text))).not.toThrow();
    }
  });

  it('measures a body nested 200,000 deep without following it', () => {
    const body = `{"auditEvents":[{"id":"a","eventData":"x","deep":${'['.repeat(200_000)}${']'.repeat(200_000)}}]}`;
    expect(scanPutAuditEventsBody(Buffer.from(body))).toEqual({ depth: 200_003, eventData: [Buffer.from('"x"')] });
  });

  it('gives no literals for a body that is not valid UTF-8 (its decoded text is not its bytes)', () => {
    const body = Buffer.concat([Buffer.from('{"auditEvents":[{"id":"a","eventData":"{\\"x\\":\\"'), Buffer.from([0xc3, 0x28]), Buffer.from('\\"}"}]}')]);
    expect(() => JSON.parse(body.toString('utf8'))).not.toThrow();
    expect(scanPutAuditEventsBody(body).eventData).toEqual([]);
    const valid = Buffer.from('{"auditEvents":[{"id":"a","eventData":"{\\"x\\":\\"é\\"}"}]}');
    expect(scanPutAuditEventsBody(valid).eventData.map((literal) => literal?.toString('utf8'))).toEqual(['"{\\"x\\":\\"é\\"}"']);
  });
});

describe('frameLines', () => {
  it('writes a record given in parts (head, the bytes of a literal, tail) as the same line as its whole text', () => {
    const literal = JSON.stringify('{"a":"é😀"}');
    const whole = `{"seq":1,"eventData":${literal}}`;
    const parts = { head: '{"seq":1,"eventData":', middle: Buffer.from(literal, 'utf8'), tail: '}' };
    const { buffer, hash, offsets } = frameLines('0'.repeat(64), [whole, whole]);
    expect(frameLines('0'.repeat(64), [parts, whole])).toMatchObject({ buffer, hash, offsets });
  });

  it('writes the bytes and hashes of frameLine over chainHash, line by line', () => {
    const jsons = ['{"seq":1}', '{"seq":2,"t":"é😀\\ud83d"}', `{"seq":3,"pad":"${'x'.repeat(5000)}"}`, '{"seq":4,"u":"\u2028€"}'];
    let hash = 'f'.repeat(64);
    let expected = '';
    const starts: number[] = [];
    for (const json of jsons) {
      starts.push(Buffer.byteLength(expected));
      hash = chainHash(hash, json);
      expected += frameLine(hash, json);
    }
    const framed = frameLines('f'.repeat(64), jsons);
    expect(framed.buffer.toString('utf8')).toBe(expected);
    expect(framed.buffer.length).toBe(Buffer.byteLength(expected));
    expect(framed.hash).toBe(hash);
    expect(framed.offsets).toEqual(starts);
    expect(frameLines(hash, [])).toMatchObject({ buffer: Buffer.alloc(0), hash, offsets: [] });
  });

  it('frames into the scratch buffer it is given when that is large enough, else into a new one it returns', () => {
    const small = ['{"seq":1}'];
    const large = [`{"seq":2,"pad":"${'y'.repeat(10_000)}"}`];
    const first = frameLines('0'.repeat(64), small);
    // Its own buffer, not a slice of Node's shared pool (a kept slice would overlap other buffers).
    expect(first.scratch.byteOffset).toBe(0);
    expect(first.scratch.buffer.byteLength).toBe(first.scratch.length);
    const second = frameLines(first.hash, large, first.scratch);
    expect(second.scratch).not.toBe(first.scratch);
    const third = frameLines(second.hash, small, second.scratch);
    expect(third.scratch).toBe(second.scratch);
    expect(third.buffer.buffer).toBe(second.scratch.buffer);
    expect(third.buffer.toString('utf8')).toBe(frameLine(chainHash(second.hash, small[0] as string), small[0] as string));
  });
});
