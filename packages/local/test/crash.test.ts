import { describe, expect, it } from 'vitest';
import { createPutAuditEventsClient } from '@auditlake/core';
import { auditEvent, cli, exited, serve, tempDir } from './helpers.js';

// An acknowledged event survives kill -9: the lake answers 200 only after fsync.

describe('crash safety', () => {
  it('kill -9 mid-stream, restart on the same data directory: every acknowledged event is there and verify passes', async () => {
    const dir = tempDir();
    const first = await serve(['--data-dir', dir]);
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: first.endpoint, credentials: { accessKeyId: 'AKIDCRASH', secretAccessKey: 'x' }, maxSockets: 4, requestTimeoutMs: 5000 });
    const acknowledged: string[] = [];
    let sequence = 0;
    let killed = false;
    const stream = async (worker: number) => {
      while (!killed) {
        const events = Array.from({ length: 20 }, () => auditEvent(`w${worker}-${sequence++}`, { UID: 'crash' }));
        try {
          const out = await client.send({ channelArn: first.channelArn, auditEvents: events });
          acknowledged.push(...out.successful.map((s) => s.eventID));
        } catch {
          return;
        }
        if (acknowledged.length >= 1500 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(stream));
    client.destroy();
    expect((await exited(first.child)).signal).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(1500);

    const second = await serve(['--data-dir', dir]);
    expect([second.channelArn, second.eventDataStoreId]).toEqual([first.channelArn, first.eventDataStoreId]);
    const after = createPutAuditEventsClient({ region: 'us-east-1', endpoint: second.endpoint, credentials: { accessKeyId: 'AKIDCRASH', secretAccessKey: 'x' } });
    const more = await after.send({ channelArn: second.channelArn, auditEvents: [auditEvent('after-restart', { UID: 'crash' })] });
    after.destroy();
    expect(more.successful).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });

    const query = await cli(['query', `SELECT eventID FROM ${first.eventDataStoreId} WHERE eventData.UID = 'crash'`, '--data-dir', dir, '--json']);
    expect(query.stderr).toBe('');
    const stored = new Set((JSON.parse(query.stdout) as { eventID: string }[]).map((r) => r.eventID));
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(stored.has(more.successful[0]?.eventID as string)).toBe(true);

    const verify = await cli(['verify', '--data-dir', dir]);
    expect(verify.stdout).toMatch(/^OK\s+event data store/m);
    expect(verify.stdout).toMatch(/verify: OK/);
    expect(verify.code).toBe(0);
  }, 60_000);
});
