import { beforeAll, describe, expect, it } from 'vitest';
import { createAuditSink, createPutAuditEventsClient, type DeadLetter } from '@auditlake/core';
import { FaultInjector, formatFaultSpec, parseFaultSpec, type LocalLake } from '../src/index.js';
import { auditEvent, lake, putRaw } from './helpers.js';

describe('fault spec syntax', () => {
  it('parses kind=[value@]rate[xcount] and seed', () => {
    expect(parseFaultSpec('throttle=0.2, serverError=503@0.1,latency=200@0.5,eventThrottle=0.1,eventInternalFailure=0.05,reset=0.02,resetAfterStore=1x1,throttle=5@1x2,seed=42')).toEqual({
      throttle: { rate: 1, count: 2, retryAfterSeconds: 5 },
      serverError: { rate: 0.1, statusCode: 503 },
      latency: { rate: 0.5, delayMs: 200 },
      eventThrottle: { rate: 0.1 },
      eventInternalFailure: { rate: 0.05 },
      reset: { rate: 0.02 },
      resetAfterStore: { rate: 1, count: 1 },
      seed: 42,
    });
    expect(formatFaultSpec(parseFaultSpec('latency=200@0.5,throttle=1x2'))).toBe('throttle=1x2,latency=200@0.5');
  });

  it('names what is wrong with a bad spec', () => {
    expect(() => parseFaultSpec('throttle=2')).toThrow(/throttle\.rate must be a number from 0 to 1/);
    expect(() => parseFaultSpec('explode=0.1')).toThrow(/unknown fault kind "explode"/);
    expect(() => parseFaultSpec('latency=0.5')).toThrow(/latency\.delayMs/);
    expect(() => parseFaultSpec('reset=5@0.1')).toThrow(/takes no value/);
    expect(() => parseFaultSpec('serverError=502@1')).toThrow(/500 or 503/);
    expect(() => parseFaultSpec('throttle')).toThrow(/kind=\[value@\]rate\[xcount\]/);
  });

  it('a seed makes the draws reproducible; a count caps them', () => {
    const draws = (spec: string) => {
      const injector = new FaultInjector(parseFaultSpec(spec));
      return Array.from({ length: 200 }, () => (injector.draw('eventThrottle') ? 1 : 0)).join('');
    };
    expect(draws('eventThrottle=0.3,seed=7')).toBe(draws('eventThrottle=0.3,seed=7'));
    expect(draws('eventThrottle=0.3,seed=7')).not.toBe(draws('eventThrottle=0.3,seed=8'));
    const fired = draws('eventThrottle=0.3,seed=7').split('').filter((d) => d === '1').length;
    expect(fired).toBeGreaterThan(30);
    expect(fired).toBeLessThan(90);
    expect(draws('eventThrottle=1x3')).toBe(`111${'0'.repeat(197)}`);
  });
});

describe('injected faults over HTTP', () => {
  let l: LocalLake;
  beforeAll(async () => {
    l = await lake();
  });

  const count = async (uid: string) => (await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.UID = '${uid}'`))[0]?.n;
  const send = (id: string, uid: string) => putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent(id, { UID: uid })] } });

  it('throttle with a count: the first 2 requests get 429 ThrottlingException with Retry-After, then requests pass', async () => {
    l.setFaults('throttle=3@1x2');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await send(`t-${i}`, 'throttled');
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
        expect(response.headers.get('retry-after')).toBe('3');
        expect(response.json.__type).toBe('ThrottlingException');
      }
    }
    expect(statuses).toEqual([429, 429, 200, 200]);
    expect(await count('throttled')).toBe(2);
  });

  it('serverError: 500 InternalFailure or 503 ServiceUnavailable; nothing stored', async () => {
    l.setFaults({ serverError: { rate: 1, count: 1, statusCode: 503 } });
    const unavailable = await send('s-1', 'server-error');
    expect([unavailable.status, unavailable.headers.get('x-amzn-errortype')]).toEqual([503, 'ServiceUnavailable']);
    l.setFaults('serverError=1x1');
    const internal = await send('s-2', 'server-error');
    expect([internal.status, internal.headers.get('x-amzn-errortype')]).toEqual([500, 'InternalFailure']);
    expect(await count('server-error')).toBe(0);
    l.setFaults(undefined);
    expect((await send('s-3', 'server-error')).status).toBe(200);
  });

  it('latency delays the answer', async () => {
    l.setFaults('latency=300@1x1');
    const started = performance.now();
    expect((await send('l-1', 'latency')).status).toBe(200);
    // A lower bound only: a busy machine can make the answer later, never earlier.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('latency with a count delays that many requests; the others pass at once', async () => {
    // Ten minutes: the delayed request is still waiting whenever the other one is answered.
    const delayed = await lake({ faults: 'latency=600000@1x1' });
    const settled: string[] = [];
    const a = putRaw(delayed.endpoint, { channelArn: delayed.channelArn, body: { auditEvents: [auditEvent('la')] } }).then(
      () => settled.push('a'),
      () => settled.push('a closed'),
    );
    const b = putRaw(delayed.endpoint, { channelArn: delayed.channelArn, body: { auditEvents: [auditEvent('lb')] } }).then(
      () => settled.push('b'),
      () => settled.push('b closed'),
    );
    await Promise.race([a, b]);
    expect(settled).toHaveLength(1);
    expect(['a', 'b']).toContain(settled[0]);
    // Closing cuts the injected wait short: the delayed request's connection is closed.
    await delayed.close();
    await Promise.all([a, b]);
    expect(settled[1]).toMatch(/closed$/);
  });

  it('reset destroys the connection before processing: nothing is stored', async () => {
    l.setFaults('reset=1x1');
    await expect(send('r-1', 'reset')).rejects.toThrow();
    expect(await count('reset')).toBe(0);
    expect((await send('r-2', 'reset')).status).toBe(200);
    expect(await count('reset')).toBe(1);
  });

  it('resetAfterStore stores durably, then drops the connection: the client never learns (at-least-once)', async () => {
    l.setFaults('resetAfterStore=1x1');
    await expect(send('ras-1', 'after-store')).rejects.toThrow();
    expect(await count('after-store')).toBe(1);
  });

  it('eventThrottle / eventInternalFailure answer valid events in failed[] and do not store them', async () => {
    l.setFaults('eventThrottle=1x2,eventInternalFailure=1x1');
    const events = Array.from({ length: 5 }, (_, i) => auditEvent(`pe-${i}`, { UID: 'per-event' }));
    const response = await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: events } });
    expect(response.status).toBe(200);
    expect((response.json.failed as { id: string; errorCode: string }[]).map((f) => [f.id, f.errorCode])).toEqual([
      ['pe-0', 'Throttling'],
      ['pe-1', 'Throttling'],
      ['pe-2', 'InternalFailure'],
    ]);
    expect((response.json.successful as { id: string }[]).map((s) => s.id)).toEqual(['pe-3', 'pe-4']);
    expect(await count('per-event')).toBe(2);
    l.setFaults('');
  });

  it('faults given at start apply from the first request', async () => {
    const faulty = await lake({ faults: 'throttle=1x1' });
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: faulty.endpoint, credentials: faulty.credentials });
    await expect(client.send({ channelArn: faulty.channelArn, auditEvents: [auditEvent('f-1')] })).rejects.toMatchObject({ errorCode: 'ThrottlingException', statusCode: 429 });
    expect((await client.send({ channelArn: faulty.channelArn, auditEvents: [auditEvent('f-1')] })).successful).toHaveLength(1);
    client.destroy();
  });

  it("core's sink delivers everything exactly once through throttling, 5xx, resets and per-event failures", async () => {
    l.setFaults('throttle=0.2,serverError=0.15,reset=0.1,eventThrottle=0.2,eventInternalFailure=0.1,seed=5');
    const letters: DeadLetter[] = [];
    const sink = createAuditSink({
      channelArn: l.channelArn,
      endpoint: l.endpoint,
      credentials: l.credentials,
      deadLetter: (letter) => letters.push(letter),
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 50,
      flushIntervalMs: 10,
      diagnostics: { debug: () => {}, warn: () => {}, error: () => {} },
    });
    for (let i = 0; i < 400; i++) sink.addEvent(auditEvent(`sink-${i}`, { UID: `sink-${i}`, eventName: 'SinkFaults' }));
    await sink.flush();
    await sink.shutdown();
    expect(letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 400 });
    expect(sink.stats().retried).toBeGreaterThan(0);
    const [row] = await l.query(`SELECT count(*) AS n, count(DISTINCT eventData.UID) AS d FROM ${l.eventDataStoreId} WHERE eventData.eventName = 'SinkFaults'`);
    expect(row).toEqual({ n: 400, d: 400 });
    l.setFaults(undefined);
  });
});
