/**
 * The durable columnar copy of a log: Parquet segments, each holding the rows of a contiguous
 * byte range of the log, listed in `manifest.json`. The log stays the source of truth; the
 * copy only saves re-reading it after a restart. A segment is trusted only while the log
 * still has, at the segment's end offset, the line with the hash and `seq` the segment
 * recorded (the hash chain makes that line stand for everything before it); from the first
 * segment that fails, the copy is dropped and rebuilt from the log.
 *
 * Files are written by one process (the server holding the data directory's lock) and read
 * by any number: segments are renamed into place complete and never change, and the manifest
 * is replaced atomically.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineEndingAt, lineIdentity } from './log-reader.js';

export const MANIFEST_FILE = 'manifest.json';
/** In the directory of all copies: the pid of the keeper process writing them. */
export const KEEPER_LOCK = 'keeper.lock';

export interface Segment {
  /** File name in the copy's directory. */
  file: string;
  firstSeq: number;
  lastSeq: number;
  rows: number;
  /** The log bytes the segment holds: [startBytes, endBytes). */
  startBytes: number;
  endBytes: number;
  /** Hash of the log line that ends at `endBytes`. */
  endHash: string;
  /** Size of the segment file. */
  fileBytes: number;
}

interface Manifest {
  formatVersion: 1;
  /** The log's identity (its store's ARN): a copy made for another log is never used. */
  identity: string;
  segments: Segment[];
}

export interface OpenedCopy {
  /** The segments that still match the log, in log order. */
  segments: Segment[];
  /** Why segments (or the whole copy) were not usable, when some were not. */
  problem?: string;
}

/**
 * Reads the copy in `dir` and checks it against the log. With `writable`, what does not match
 * is deleted (files of dropped segments, leftovers of an interrupted write) and the manifest
 * rewritten; a reader leaves everything as it is.
 */
export function openColumnarCopy(dir: string, logPath: string, identity: string, writable: boolean): OpenedCopy {
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: Manifest | undefined;
  let problem: string | undefined;
  if (existsSync(manifestPath)) {
    try {
      const parsed = JSON.parse(readFileSync(manifestPath, 'utf8')) as Partial<Manifest>;
      if (parsed.formatVersion !== 1 || !Array.isArray(parsed.segments)) problem = `${manifestPath} is not a manifest this version understands`;
      else if (parsed.identity !== identity) problem = `${manifestPath} describes ${String(parsed.identity)}, not ${identity}`;
      else manifest = parsed as Manifest;
    } catch (error) {
      problem = `cannot read ${manifestPath}: ${(error as Error).message}`;
    }
  }
  const segments: Segment[] = [];
  for (const segment of manifest?.segments ?? []) {
    const mismatch = checkSegment(dir, logPath, segment, segments.at(-1));
    if (mismatch !== undefined) {
      problem = `segment ${segment.file} ${mismatch}`;
      break;
    }
    segments.push(segment);
  }
  if (writable) {
    mkdirSync(dir, { recursive: true });
    const kept = new Set([MANIFEST_FILE, ...segments.map((s) => s.file)]);
    for (const file of readdirSync(dir)) if (!kept.has(file)) rmSync(join(dir, file), { force: true, recursive: true });
    if (manifest === undefined || segments.length !== manifest.segments.length) writeManifest(dir, identity, segments);
  }
  return problem === undefined ? { segments } : { segments, problem };
}

function checkSegment(dir: string, logPath: string, segment: Segment, previous: Segment | undefined): string | undefined {
  if (segment.startBytes !== (previous?.endBytes ?? 0) || segment.firstSeq !== (previous?.lastSeq ?? 0) + 1) return 'does not continue the one before it';
  let size: number;
  try {
    size = statSync(join(dir, segment.file)).size;
  } catch {
    return 'is missing';
  }
  if (size !== segment.fileBytes) return `has ${size} bytes, not ${segment.fileBytes}`;
  if (!hasParquetMagic(join(dir, segment.file), size)) return 'is damaged (no Parquet magic bytes at its ends)';
  const line = lineEndingAt(logPath, segment.endBytes);
  const found = line === undefined ? undefined : lineIdentity(line);
  if (found?.hash !== segment.endHash || found.seq !== segment.lastSeq) return 'no longer matches the log (the log was changed, cut or replaced)';
  return undefined;
}

/** Parquet files begin and end with PAR1; a file zero-filled or cut by a power cut does not. */
function hasParquetMagic(path: string, size: number): boolean {
  if (size < 8) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    readSync(fd, tail, 0, 4, size - 4);
    return head.toString('latin1') === 'PAR1' && tail.toString('latin1') === 'PAR1';
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the manifest atomically (a reader sees the old or the new one), without fsync: the
 * copy can always be rebuilt, and an fsync here would stall the log's own, which
 * acknowledgements wait for. One lost or torn by a power cut fails its check at the next start.
 */
export function writeManifest(dir: string, identity: string, segments: readonly Segment[]): void {
  const manifest: Manifest = { formatVersion: 1, identity, segments: [...segments] };
  const path = join(dir, MANIFEST_FILE);
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(partial, path);
}

/** The name of a segment file for a range of `seq`. */
export function segmentFileName(firstSeq: number, lastSeq: number): string {
  return `seg-${String(firstSeq).padStart(12, '0')}-${String(lastSeq).padStart(12, '0')}.parquet`;
}
