import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../src/index.js';
import { auditEvent, controlRaw, lake, putRaw, quiet, tempDir } from './helpers.js';

// A real full disk: a small tmpfs. Mounting needs root; elsewhere the test is skipped, loudly.

const mountPoint = tempDir('auditlake-disk-full-');
let mounted = false;
if (process.getuid?.() === 0) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  mounted = true;
} else {
  console.warn('auditlake: not root, so no tmpfs can be mounted: the disk-full test is SKIPPED');
}
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
});

/** Fills the file system with one file until the disk refuses; returns its path. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!mounted)('a full disk', () => {
  it('refuses writes while the disk is full (500, reported once) and writes again when space returns, without a restart', async () => {
    const dataDir = join(mountPoint, 'lake');
    mkdirSync(dataDir);
    const errors: string[] = [];
    const warnings: string[] = [];
    const l = await lake({ dataDir, diagnostics: { ...quiet, error: (m: string) => void errors.push(m), warn: (m: string) => void warnings.push(m) } });
    const send = (id: string) => putRaw(l.endpoint, { channelArn: l.channelArn, body: { auditEvents: Array.from({ length: 20 }, (_, i) => auditEvent(`${id}-${i}`, { UID: id })) } });
    expect((await send('before')).status).toBe(200);

    const filler = join(mountPoint, 'filler');
    fillDisk(filler);
    for (const id of ['full-1', 'full-2', 'full-3']) {
      const refused = await send(id);
      expect([refused.status, refused.json.__type]).toEqual([500, 'InternalFailure']);
      expect(refused.json.message).toMatch(/ENOSPC/);
    }
    expect(errors.filter((e) => e.includes('ENOSPC'))).toHaveLength(1);
    // A control-plane change that cannot be written leaves nothing half-made behind.
    const store = await controlRaw(l.endpoint, 'CreateEventDataStore', { Name: 'while-full' });
    expect([store.status, store.json.__type]).toEqual([500, 'InternalFailure']);
    const listed = await controlRaw(l.endpoint, 'ListEventDataStores', {});
    expect((listed.json.EventDataStores as { Name: string }[]).map((s) => s.Name)).toEqual(['auditlake-local']);

    rmSync(filler);
    expect((await controlRaw(l.endpoint, 'CreateEventDataStore', { Name: 'while-full' })).status).toBe(200);
    const after = await send('after');
    expect(after.status).toBe(200);
    expect((after.json.successful as unknown[]).length).toBe(20);
    expect(warnings.join('\n')).toMatch(/is written again/);
    const counts = await l.query(`SELECT eventData.UID AS uid, count(*) AS n FROM ${l.eventDataStoreId} GROUP BY 1 ORDER BY 1`);
    expect(counts).toEqual([
      { uid: 'after', n: 20 },
      { uid: 'before', n: 20 },
    ]);
    await l.close();
    expect((await verifyDataDir(dataDir)).stores[0]).toMatchObject({ ok: true, events: 40 });
  });
});
