/**
 * The columnar keeper: a child process of the server, at low CPU priority (nice 10), that turns
 * the stores' logs into columnar segments as they grow. In its own process, so that under load
 * acknowledging events (the server, at normal priority) comes first and the keeper takes what
 * CPU is left; in the server, it would take its share from ingestion. The server reads the
 * segments the keeper adds (source-tables.ts), and reads the rest of each log itself when a
 * query needs it.
 *
 * Runs as `node columnar-keeper.js <data dir>` with an IPC channel to the server; it exits when
 * the channel closes (the server stopped, or died) and on SIGTERM, after the step it is in.
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { Catalog } from './catalog.js';
import { KEEPER_LOCK } from './columnar-copy.js';
import { LOCAL_LAKE_DEFAULTS } from './options.js';
import { oneLineMessage } from './query-errors.js';
import { ownProcessMark, parseProcessMark, sameProcessAlive } from './process-alive.js';
import { QueryEngine } from './query-engine.js';
import { FULL_CHUNK_BYTES } from './source-tables.js';
import { COLUMNAR_DIR, readOnlyTableSources } from './table-sources.js';

/** How long the keeper rests when it found nothing to do. */
const IDLE_MS = 1000;
const KEEPER_NICE = 10;
const KEEPER_MEMORY_MB = 256;

/**
 * Lowers the priority of every thread of this process. On Linux a priority is a thread's own:
 * setting the process's only reaches the main thread, and libuv's and DuckDB's worker threads,
 * which do the work, were started from threads at normal priority. Threads are listed in
 * /proc/self/task (elsewhere, only the main thread is lowered).
 */
function lowerPriority(): void {
  let threads: number[] = [0];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    // No /proc: the main thread only.
  }
  for (const tid of threads) {
    try {
      setPriority(tid, KEEPER_NICE);
    } catch {
      // Not allowed here (some containers), or the thread is gone: it runs at the server's priority.
    }
  }
}

/**
 * One keeper per data directory: a keeper whose server was killed finishes the step it is in
 * while the next server starts its own. The lock file holds the pid and start time; a dead
 * holder's lock is taken over. False when another keeper is alive (this one then leaves; the
 * server tries again). Two keepers taking over one dead holder's lock at the same moment could
 * both win; that needs two servers on one data directory, which its own lock (data-dir.ts) rules out.
 */
function takeLock(path: string): boolean {
  // Written aside and linked into place: the lock appears with its pid in it, or not at all.
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, ownProcessMark());
  try {
    return linkLock(mine, path);
  } finally {
    rmSync(mine, { force: true });
  }
}

function linkLock(mine: string, path: string): boolean {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      linkSync(mine, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let held: string;
    try {
      held = readFileSync(path, 'utf8');
    } catch {
      continue; // Its holder removed it meanwhile: link again.
    }
    // A pid reused by another process does not hold the lock.
    const holder = parseProcessMark(held);
    if (holder !== undefined && holder.pid !== process.pid && sameProcessAlive(holder.pid, holder.startTime)) return false;
    // Replaced in one step: whoever reads the lock finds the old holder or this one, never no lock.
    renameSync(mine, path);
    return true;
  }
  return false;
}

async function keep(dataDir: string): Promise<void> {
  lowerPriority();
  const lock = join(dataDir, COLUMNAR_DIR, KEEPER_LOCK);
  mkdirSync(join(dataDir, COLUMNAR_DIR), { recursive: true });
  if (!takeLock(lock)) return;
  try {
    await keepLocked(dataDir);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Set when the server went away or asked the keeper to stop; heard from the first moment on. */
const stop = { requested: false, listeners: [] as (() => void)[] };
const requestStop = () => {
  stop.requested = true;
  for (const listener of stop.listeners.splice(0)) listener();
};
process.once('disconnect', requestStop);
process.once('SIGTERM', requestStop);

async function keepLocked(dataDir: string): Promise<void> {
  const catalog = () => Catalog.open(dataDir, { defaults: { region: LOCAL_LAKE_DEFAULTS.region, accountId: LOCAL_LAKE_DEFAULTS.accountId }, readOnly: true });
  let sources = readOnlyTableSources(catalog())();
  const engine = await QueryEngine.create({
    sources: () => sources,
    now: Date.now,
    diagnostics: { debug: () => undefined, warn: (message) => process.stderr.write(`${message}\n`), error: (message) => process.stderr.write(`${message}\n`) },
    columnarRoot: join(dataDir, COLUMNAR_DIR),
    writable: true,
    segmentsOnly: true,
    memoryLimitMb: KEEPER_MEMORY_MB,
    maxRunningQueries: 1,
  });
  stop.listeners.push(() => engine.stopReading());
  try {
    while (!stop.requested) {
      // Stores and log groups come and go while the server runs; DuckDB and libuv start threads as they need them.
      sources = readOnlyTableSources(catalog())();
      lowerPriority();
      await engine.maintain(FULL_CHUNK_BYTES);
      if (stop.requested) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          stop.listeners.splice(stop.listeners.indexOf(wake), 1);
          resolve();
        }, IDLE_MS);
        stop.listeners.push(wake);
      });
    }
  } finally {
    await engine.close();
  }
}

// The channel to the server must not keep the keeper alive once it is done (or has nothing to do).
process.channel?.unref();
const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write('usage: columnar-keeper.js <data dir>\n');
  process.exitCode = 2;
} else {
  try {
    await keep(dataDir);
  } catch (error) {
    process.stderr.write(`auditlake: the columnar keeper stopped: ${oneLineMessage(error)}\n`);
    process.exitCode = 1;
  }
}
