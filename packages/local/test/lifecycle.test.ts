import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { resolveLocalLakeOptions, startLocalLake, verifyDataDir } from '../src/index.js';
import { auditEvent, lake, putRaw, quiet, tempDir } from './helpers.js';

describe('options', () => {
  it('refuses bad values naming the option, the rule and the value', () => {
    expect(() => resolveLocalLakeOptions({ port: -1 })).toThrow('Configuration: port is invalid, expected an integer from 0 to 65535 (actual: -1)');
    expect(() => resolveLocalLakeOptions({ accountId: '12' })).toThrow(/accountId is invalid, expected a 12-digit AWS account id/);
    expect(() => resolveLocalLakeOptions({ region: 'mars' })).toThrow(/region is invalid/);
    expect(() => resolveLocalLakeOptions({ faults: 'explode=1' })).toThrow(/faults is invalid, expected unknown fault kind "explode"/);
    expect(() => resolveLocalLakeOptions({ externalId: 'x' })).toThrow(/externalId is invalid/);
    expect(() => resolveLocalLakeOptions({ credentials: [{ accessKeyId: '', secretAccessKey: 'x' }] })).toThrow(/credentials\[0\] is invalid/);
    expect(resolveLocalLakeOptions({})).toMatchObject({ port: 0, host: '127.0.0.1', strictAuth: false, fsync: true, region: undefined, accountId: undefined });
  });
});

describe('lifecycle', () => {
  it('a temporary data directory is removed on close; close is idempotent', async () => {
    const l = await startLocalLake({ diagnostics: quiet });
    expect(existsSync(l.dataDir)).toBe(true);
    await Promise.all([l.close(), l.close()]);
    expect(existsSync(l.dataDir)).toBe(false);
    await expect(fetch(`${l.endpoint}/`)).rejects.toThrow();
  });

  it('restart on the same data directory: same channel, store and key pair; events and chain continue', async () => {
    const dir = tempDir();
    const first = await startLocalLake({ dataDir: dir, region: 'eu-west-1', accountId: '210987654321', diagnostics: quiet });
    expect(first.channelArn).toMatch(/^arn:aws:cloudtrail:eu-west-1:210987654321:channel\/[0-9a-f-]{36}$/);
    expect(first.eventDataStoreArn).toBe(`arn:aws:cloudtrail:eu-west-1:210987654321:eventdatastore/${first.eventDataStoreId}`);
    await putRaw(first.endpoint, { channelArn: first.channelArn, body: { auditEvents: [auditEvent('one', { recipientAccountId: '210987654321' })] } });
    await first.close();
    expect(existsSync(dir)).toBe(true);

    // Without region/account the directory's own are used; with different ones it refuses.
    await expect(startLocalLake({ dataDir: dir, region: 'us-east-1', diagnostics: quiet })).rejects.toThrow(/belongs to region eu-west-1, not us-east-1/);
    const second = await startLocalLake({ dataDir: dir, diagnostics: quiet });
    expect({ channel: second.channelArn, store: second.eventDataStoreId, keys: second.credentials, region: second.region }).toEqual({
      channel: first.channelArn,
      store: first.eventDataStoreId,
      keys: first.credentials,
      region: 'eu-west-1',
    });
    await putRaw(second.endpoint, { channelArn: second.channelArn, body: { auditEvents: [auditEvent('two', { recipientAccountId: '210987654321' })] } });
    expect(await second.query(`SELECT count(*) AS n FROM ${second.eventDataStoreId}`)).toEqual([{ n: 2 }]);
    await second.close();
    expect((await verifyDataDir(dir)).stores[0]).toMatchObject({ ok: true, events: 2 });
  });

  it('one lake per data directory at a time', async () => {
    const dir = tempDir();
    await lake({ dataDir: dir });
    await expect(startLocalLake({ dataDir: dir, diagnostics: quiet })).rejects.toThrow(/already open in this process|in use by another local lake/);
  });

  it('a port in use is an error, and nothing is left behind', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    await expect(startLocalLake({ port, dataDir: dir, diagnostics: quiet })).rejects.toThrow(/EADDRINUSE/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    // The lock was released: the directory opens again.
    const again = await startLocalLake({ dataDir: dir, diagnostics: quiet });
    await again.close();
  });

  it('retentionDays given on restart updates the default store', async () => {
    const dir = tempDir();
    const first = await startLocalLake({ dataDir: dir, diagnostics: quiet });
    await first.close();
    const second = await startLocalLake({ dataDir: dir, retentionDays: 30, diagnostics: quiet });
    const response = await fetch(`${second.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.GetEventDataStore' },
      body: JSON.stringify({ EventDataStore: second.eventDataStoreArn }),
    });
    expect(((await response.json()) as { RetentionPeriod: number }).RetentionPeriod).toBe(30);
    await second.close();
  });
});
