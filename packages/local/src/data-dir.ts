/**
 * The data directory's own housekeeping: the writer lock (one server per directory, or two
 * writers would fork the hash chains) and the key pair the lake hands to its clients.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from './catalog.js';

const LOCK_FILE = 'server.lock';
const CREDENTIALS_FILE = 'credentials.json';

/** Takes the writer lock of `dataDir`; the lock of a process that is gone (kill -9) is taken over. */
export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSafe(path), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`${dataDir} is in use by another local lake (pid ${pid}); stop it or use another data directory`);
      }
      if (pid === process.pid) throw new Error(`${dataDir} is already open in this process; close the other local lake first`);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${path}`);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lake's own key pair: generated once per data directory and kept there (mode 0600). */
export function loadOrCreateKeyPair(dataDir: string): { accessKeyId: string; secretAccessKey: string } {
  const path = join(dataDir, CREDENTIALS_FILE);
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { accessKeyId?: unknown; secretAccessKey?: unknown };
    if (typeof stored.accessKeyId === 'string' && typeof stored.secretAccessKey === 'string') {
      return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey };
    }
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const accessKeyId = `AKIALOCAL${Array.from(randomBytes(11), (b) => alphabet[b % 32]).join('')}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  writeFileDurably(path, `${JSON.stringify({ accessKeyId, secretAccessKey }, null, 2)}\n`, 0o600);
  return { accessKeyId, secretAccessKey };
}
