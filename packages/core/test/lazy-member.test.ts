import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

// In a fresh process with V8's own checks: what each destination hands `send` must have one
// hidden class for every call, with fast properties. An object whose getter was made for it
// (a hidden class of its own, or dictionary properties) kept its batch alive until the next
// full collection (lazy-member.ts says why).
const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function sameShapes(sinkOptions: string): string {
  const script = `
    import { createAuditSink } from ${JSON.stringify(core)};
    const calls = [];
    const reply = (input) => input.auditEvents ? { successful: input.auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] } : {};
    const send = async (input, options) => {
      calls.push({ input, options, body: options.body });
      return reply(input);
    };
    const sink = createAuditSink({ ...${sinkOptions}, send, deadLetter: () => {}, diagnostics: { debug() {}, warn() {}, error() {} }, persistOnExit: false });
    for (let call = 0; call < 3; call++) {
      sink.add({ time: Date.now(), attributes: { audit: { eventName: 'E', eventSource: 's', userIdentity: { principalId: 'p' + call } } } });
      await sink.flush();
    }
    await sink.shutdown();
    const [a, b, c] = calls;
    console.log(JSON.stringify({
      calls: calls.length,
      inputs: %HaveSameMap(a.input, b.input) && %HaveSameMap(b.input, c.input) && %HasFastProperties(a.input),
      options: %HaveSameMap(a.options, b.options) && %HaveSameMap(b.options, c.options) && %HasFastProperties(a.options),
      bodies: calls.every((call) => call.body instanceof Uint8Array && call.body.length > 0),
    }));
  `;
  const result = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(result.stderr).toBe('');
  return result.stdout.trim();
}

describe('what a destination hands send', () => {
  const expected = JSON.stringify({ calls: 3, inputs: true, options: true, bodies: true });

  it('has one shape for every PutAuditEvents call', () => {
    expect(sameShapes(`{ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/c' }`)).toBe(expected);
  });

  it('has one shape for every PutLogEvents call', () => {
    expect(sameShapes(`{ logGroupName: 'g', logStreamName: 's', env: {}, createLogGroup: false, createLogStream: false }`)).toBe(expected);
  });
});
