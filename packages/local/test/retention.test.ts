import { describe, expect, it } from 'vitest';
import { createPutAuditEventsClient } from '@auditlake/core';
import { auditEvent, controlRaw, lake, putRaw } from './helpers.js';

// The clock is injected: days pass in a line of code, not in wall time.

const DAY = 86_400_000;

describe('retention', () => {
  it('expired events are not returned by queries; each store keeps its own retention', async () => {
    let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
    const l = await lake({ now: () => clock, retentionDays: 7 });
    const longer = await controlRaw(l.endpoint, 'CreateEventDataStore', {
      Name: 'thirty-days',
      RetentionPeriod: 30,
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['ActivityAuditLog'] }] }],
    });
    const longerId = (longer.json.EventDataStoreArn as string).split('/')[1] as string;
    const channel = await controlRaw(l.endpoint, 'CreateChannel', {
      Name: 'both',
      Source: 'Custom',
      Destinations: [
        { Type: 'EVENT_DATA_STORE', Location: l.eventDataStoreArn },
        { Type: 'EVENT_DATA_STORE', Location: longerId },
      ],
    });
    const response = await putRaw(l.endpoint, { channelArn: channel.json.ChannelArn as string, body: { auditEvents: [auditEvent('r1'), auditEvent('r2')] } });
    expect((response.json.successful as unknown[]).length).toBe(2);

    const count = async (id: string) => (await l.query(`SELECT count(*) AS n FROM ${id}`))[0]?.n;
    // Retention counts from the ingestion time; the top-level eventTime is the event's own (changed deliberately, issue 9).
    const [stamped] = await l.query(`SELECT eventTime, metadata.ingestionTime AS ingested FROM ${l.eventDataStoreId} LIMIT 1`);
    expect(stamped).toEqual({ eventTime: '2022-09-25 10:00:00.000', ingested: '2026-01-01T12:00:00.000Z' });
    expect([await count(l.eventDataStoreId), await count(longerId)]).toEqual([2, 2]);

    clock += 7 * DAY - 1000;
    expect([await count(l.eventDataStoreId), await count(longerId)]).toEqual([2, 2]);
    clock += 2000;
    expect([await count(l.eventDataStoreId), await count(longerId)]).toEqual([0, 2]);
    clock += 30 * DAY;
    expect([await count(l.eventDataStoreId), await count(longerId)]).toEqual([0, 0]);

    // Shortening retention applies at once; new events are visible again.
    await putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: [auditEvent('r3')] } });
    expect(await count(l.eventDataStoreId)).toBe(1);
    const store = await controlRaw(l.endpoint, 'GetEventDataStore', { EventDataStore: l.eventDataStoreId });
    expect(store.json.RetentionPeriod).toBe(7);
  });

  it('retentionDays outside 7–3653 is a configuration error', async () => {
    await expect(lake({ retentionDays: 6 })).rejects.toThrow('Configuration: retentionDays is invalid, expected an integer from 7 to 3653 (actual: 6)');
    await expect(lake({ retentionDays: 3654 })).rejects.toThrow(/retentionDays/);
  });

  it('strict SigV4 measures clock skew against the injected clock', async () => {
    const l = await lake({ strictAuth: true, now: () => Date.now() + 20 * 60_000 });
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: l.endpoint, credentials: l.credentials });
    await expect(client.send({ channelArn: l.channelArn, auditEvents: [auditEvent('skew')] })).rejects.toMatchObject({
      errorCode: 'InvalidSignatureException',
      statusCode: 403,
      message: expect.stringMatching(/^Signature expired: /) as unknown,
    });
    client.destroy();
  });
});
