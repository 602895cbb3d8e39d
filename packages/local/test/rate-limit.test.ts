import { describe, expect, it } from 'vitest';
import { createAuditSink, type DeadLetter } from '@auditlake/core';
import { resolveLocalLakeOptions } from '../src/index.js';
import { auditEvent, controlRaw, lake, putRaw, quiet, signedControl } from './helpers.js';

// maxTps: a token bucket per account and API, on the injected clock, so every step is exact.

const STRANGER = { accessKeyId: 'AKIDOTHERACCOUNT', secretAccessKey: 'other-secret', accountId: '111122223333' };

describe('maxTps', () => {
  it('answers ThrottlingException (HTTP 400, "Rate exceeded") past the rate, per account and API, refilling on the clock', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const l = await lake({ maxTps: 3, now: () => clock, credentials: [STRANGER] });
    let sent = 0;
    const put = () => putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent(`p-${sent++}`)] } });

    expect([(await put()).status, (await put()).status, (await put()).status]).toEqual([200, 200, 200]);
    const throttled = await put();
    expect([throttled.status, throttled.headers.get('x-amzn-errortype'), throttled.json]).toEqual([400, 'ThrottlingException', { __type: 'ThrottlingException', message: 'Rate exceeded' }]);

    // The control plane has its own bucket; another account has its own too.
    for (let i = 0; i < 3; i++) expect((await controlRaw(l.endpoint, 'ListChannels', {})).status).toBe(200);
    expect((await controlRaw(l.endpoint, 'ListChannels', {})).json.__type).toBe('ThrottlingException');
    expect((await signedControl(l.endpoint, STRANGER, 'ListChannels', {})).status).toBe(200);

    // A third of a second brings one token back; ten seconds only the burst of three.
    clock += 333;
    expect((await put()).status).toBe(400);
    clock += 1;
    expect((await put()).status).toBe(200);
    clock += 10_000;
    expect([(await put()).status, (await put()).status, (await put()).status, (await put()).status]).toEqual([200, 200, 200, 400]);
  });

  it("core's sink takes the throttling as such: it retries and delivers everything", async () => {
    const l = await lake({ maxTps: 5 });
    const letters: DeadLetter[] = [];
    const sink = createAuditSink({
      channelArn: l.channelArn,
      endpoint: l.endpoint,
      credentials: l.credentials,
      maxBatchEvents: 1,
      flushIntervalMs: 1,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 200,
      deadLetter: (letter) => letters.push(letter),
      diagnostics: quiet,
    });
    for (let i = 0; i < 15; i++) sink.addEvent(auditEvent(`sink-${i}`, { UID: 'rate-limited' }));
    await sink.flush();
    await sink.shutdown();
    expect(letters).toEqual([]);
    expect(sink.stats()).toMatchObject({ delivered: 15 });
    expect(sink.stats().retried).toBeGreaterThan(0);
    expect(await l.query(`SELECT count(*) AS n FROM ${l.eventDataStoreId} WHERE eventData.UID = 'rate-limited'`)).toEqual([{ n: 15 }]);
  });

  it('is off by default, and a bad value is a configuration error', () => {
    expect(resolveLocalLakeOptions({}).maxTps).toBeUndefined();
    expect(() => resolveLocalLakeOptions({ maxTps: 0 })).toThrow('Configuration: maxTps is invalid, expected a number >= 1 (requests per second per account), or undefined for no limit (actual: 0)');
  });
});
