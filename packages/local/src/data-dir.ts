/**
 * The data directory's own housekeeping: the writer lock (one server per directory, or two
 * writers would fork the hash chains) and the key pair the lake hands to its clients.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from './catalog.js';
import { ownProcessMark, parseProcessMark, processAlive, sameProcessAlive, type ProcessMark } from './process-alive.js';

/** Lock files of versions before the generation lock; still honoured while their owner lives. */
const LEGACY_LOCK_FILE = 'server.lock';
const LOCK_DIR = 'lock';
const CREDENTIALS_FILE = 'credentials.json';
const RELEASED = 'released';

/**
 * Takes the writer lock of `dataDir`: one server per directory, or two writers would fork the
 * hash chains. The lock is a numbered generation file in `lock/`, created with `link()` (atomic,
 * and the file is complete when it appears); the highest number is the lock. A generation whose
 * process is gone (kill -9) or that was released is taken over by creating the next number,
 * which only one contender can do. Lower generations are deleted only by the winner of a higher
 * one, so a number is never reused while a higher one exists; a winner that finds a higher
 * number after linking backs off. A lock names its process by pid and start time, so a pid that
 * a new process reused after a crash does not keep the directory locked.
 */
export function acquireLock(dataDir: string): () => void {
  const dir = join(dataDir, LOCK_DIR);
  mkdirSync(dir, { recursive: true });
  refuseLiveLegacyLock(dataDir);
  for (let attempt = 0; attempt < 100; attempt++) {
    const top = highestGeneration(dir);
    if (top > 0) {
      const holder = readHolder(join(dir, String(top)));
      if (holder?.pid === process.pid) throw new Error(`${dataDir} is already open in this process; close the other local lake first`);
      if (holder !== undefined && sameProcessAlive(holder.pid, holder.startTime)) throw new Error(`${dataDir} is in use by another local lake (pid ${holder.pid}); stop it or use another data directory`);
    }
    const mine = top + 1;
    const path = join(dir, String(mine));
    const temporary = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    writeFileDurably(temporary, `${ownProcessMark()}\n`, 0o600);
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    } finally {
      rmSync(temporary, { force: true });
    }
    if (highestGeneration(dir) > mine) {
      rmSync(path, { force: true });
      continue;
    }
    removeBelow(dir, mine);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      writeFileDurably(path, `${RELEASED}\n`, 0o600);
    };
  }
  throw new Error(`cannot take the lock of ${dataDir}: it kept changing hands (100 attempts)`);
}

function refuseLiveLegacyLock(dataDir: string): void {
  const holder = readHolder(join(dataDir, LEGACY_LOCK_FILE));
  if (holder !== undefined && holder.pid !== process.pid && processAlive(holder.pid)) {
    throw new Error(`${dataDir} is in use by another local lake (pid ${holder.pid}, an older version); stop it or use another data directory`);
  }
}

function generations(dir: string): number[] {
  return readdirSync(dir)
    .filter((name) => /^[1-9]\d*$/.test(name))
    .map(Number);
}

function highestGeneration(dir: string): number {
  return generations(dir).reduce((max, n) => Math.max(max, n), 0);
}

/** Older generations, leftovers of crashed contenders, and a legacy lock of a dead process. */
function removeBelow(dir: string, generation: number): void {
  for (const n of generations(dir)) if (n < generation) rmSync(join(dir, String(n)), { force: true });
  for (const name of readdirSync(dir)) {
    const pid = /^\.tmp-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !processAlive(Number(pid))) rmSync(join(dir, name), { force: true });
  }
  const legacy = join(dir, '..', LEGACY_LOCK_FILE);
  const holder = readHolder(legacy);
  if (holder === undefined || !processAlive(holder.pid)) rmSync(legacy, { force: true });
}

/** The process a lock file names; undefined when released, missing or unreadable. */
function readHolder(path: string): ProcessMark | undefined {
  try {
    return parseProcessMark(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
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
