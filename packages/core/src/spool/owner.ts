/**
 * Who owns which spool directory. Each sink writes only into a directory of its own
 * (`<spoolDir>/<host>-<pid>-<token>/`, created exclusively, with an `owner.json`), so two live
 * sinks never share a file. A directory whose owner is gone is adopted by the next sink that
 * looks: moved, with one atomic `rename`, under that sink's own directory, so exactly one
 * sink gets it, and so it is adopted again if that sink dies too.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processStartTime, sameProcessAlive } from '../process-identity.js';

const OWNER_FILE = 'owner.json';
export const ADOPTED_DIR = 'adopted';
/** A live owner touches its `owner.json` this often. */
export const HEARTBEAT_MS = 10_000;
/** A directory without an owner file is left alone this long: it may be being created. */
const CREATION_GRACE_MS = 10_000;

interface OwnerRecord {
  pid: number;
  host: string;
  token: string;
  startedAt: number;
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid from its first holder. */
  procStart?: number;
  /** The owner gave the directory up (shut down with events left): anybody may adopt it at once. */
  released?: boolean;
}

/** Directories owned by live spools of this thread. */
const ownedHere = new Set<string>();
const HOST = hostname();

export interface OwnedDir {
  readonly dir: string;
  heartbeat(): void;
  /** Gives the directory up: it is then anybody's to adopt (or removed, when `empty`). */
  release(empty: boolean): void;
}

export function createOwnedDir(spoolDir: string): OwnedDir {
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(6).toString('hex');
  const dir = join(spoolDir, `${HOST.replace(/[^A-Za-z0-9.-]/g, '_')}-${process.pid}-${token}`);
  mkdirSync(dir, { mode: 0o700 });
  const owner: OwnerRecord = { pid: process.pid, host: HOST, token, startedAt: Date.now() };
  const procStart = processStartTime(process.pid);
  if (procStart !== undefined) owner.procStart = procStart;
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
  ownedHere.add(dir);
  return {
    dir,
    heartbeat() {
      const time = new Date();
      utimesSync(join(dir, OWNER_FILE), time, time);
    },
    release(empty) {
      ownedHere.delete(dir);
      try {
        if (empty) rmSync(dir, { recursive: true, force: true });
        else writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ ...owner, released: true }), { mode: 0o600 });
      } catch (error) {
        // Removed under us (a person cleaning up): nothing left to hand over.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}

/**
 * Moves every abandoned directory of `spoolDir` under `own/adopted/`, and returns the
 * directories to read from there (nested adoptions too), oldest owner first.
 */
export function adoptAbandoned(spoolDir: string, own: string): string[] {
  // Real time, not the sink's clock: ownership is about real processes and file times.
  const now = Date.now();
  const adopted = join(own, ADOPTED_DIR);
  for (const name of listDirs(spoolDir)) {
    const path = join(spoolDir, name);
    if (path === own || !isAbandoned(path, now)) continue;
    mkdirSync(adopted, { recursive: true, mode: 0o700 });
    try {
      renameSync(path, join(adopted, name));
    } catch (error) {
      // Another sink adopted it first, or it was released and removed meanwhile.
      if (!['ENOENT', 'EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
  return adoptedSources(own);
}

function adoptedSources(dir: string): string[] {
  const adopted = join(dir, ADOPTED_DIR);
  const sources: { path: string; startedAt: number }[] = [];
  for (const name of listDirs(adopted)) {
    const path = join(adopted, name);
    for (const nested of adoptedSources(path)) sources.push({ path: nested, startedAt: startedAt(nested) });
    sources.push({ path, startedAt: startedAt(path) });
  }
  return sources.sort((a, b) => a.startedAt - b.startedAt).map((source) => source.path);
}

/** Whether the owner of `dir` is gone (dead, or released it). Directories of other hosts are never taken. */
export function isAbandoned(dir: string, now: number): boolean {
  const owner = readOwner(dir);
  if (owner === undefined) return now - mtime(dir) > CREATION_GRACE_MS;
  if (owner.released === true) return true;
  if (owner.host !== HOST) return false;
  if (!sameProcessAlive(owner.pid, owner.procStart)) return true;
  if (owner.pid !== process.pid) return false;
  // This process: live in this thread, or in another one while its heartbeat is fresh.
  return !ownedHere.has(dir) && now - mtime(join(dir, OWNER_FILE)) > 3 * HEARTBEAT_MS;
}

function readOwner(dir: string): OwnerRecord | undefined {
  try {
    const owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Partial<OwnerRecord>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as OwnerRecord) : undefined;
  } catch {
    return undefined;
  }
}

function startedAt(dir: string): number {
  return readOwner(dir)?.startedAt ?? mtime(dir);
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
