import { mkdirSync, readdirSync, renameSync, rmSync, unlink, unlinkSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { Reporter } from '../diagnostics.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { inspectSegment, Segment, type SpoolDirectory } from './segment.js';

export interface SpoolDirectoriesOptions {
  /** The shared spool directory (unreadable files are moved aside into its `.quarantine`). */
  readonly spoolDir: string;
  readonly reporter: Reporter;
  /** Whether frames of `directory` remain to be read: it stays until they are. */
  readonly reading: (directory: SpoolDirectory) => boolean;
}

/**
 * The directories a spool holds, its own and those it adopted, with the bytes of their segments
 * on disk; and their upkeep: checkpoints first, then the removal of segments whose every event is
 * settled, and of adopted directories once emptied.
 */
export class SpoolDirectories {
  readonly #o: SpoolDirectoriesOptions;
  readonly #list: SpoolDirectory[] = [];
  /** Bytes of segment files on disk (buffered frames included), against `maxSpoolBytes`. */
  bytes = 0;
  /** File-system work running off the event loop (segment removals); `removals()` waits for it. */
  #background = 0;
  #idle: (() => void)[] = [];

  constructor(options: SpoolDirectoriesOptions) {
    this.#o = options;
  }

  /** No directory holds a segment. */
  get empty(): boolean {
    return this.#list.every((directory) => directory.segments.length === 0);
  }

  /** The spool's own directory, written to. */
  own(directory: SpoolDirectory): void {
    this.#list.push(directory);
  }

  /** Takes over a directory a dead owner left; returns it when it has segments to read (else it is removed at once). */
  adopt(path: string): SpoolDirectory | undefined {
    const directory: SpoolDirectory = { path, settled: loadCheckpoint(path), segments: [], adopted: true };
    const names = readdirSync(path).filter((name) => name.endsWith('.seg')).sort();
    for (const name of names) {
      const { valid, size } = inspectSegment(join(path, name));
      if (!valid) {
        const kept = quarantine(this.#o.spoolDir, join(path, name));
        this.#o.reporter.report('error', `spool-segment:${path}`, `auditlake: spool file ${join(path, name)} is not a segment (bad header); moved to ${kept}, not read`);
        continue;
      }
      directory.segments.push(new Segment(directory, join(path, name), size));
      this.bytes += size;
    }
    this.#list.push(directory);
    if (directory.segments.length > 0) return directory;
    this.#removeDirectory(directory);
    return undefined;
  }

  /** Resolves once the segment removals running off the event loop are done; `undefined` when none is. */
  removals(): Promise<void> | undefined {
    if (this.#background > 0) return new Promise<void>((resolve) => this.#idle.push(resolve));
    return undefined;
  }

  #backgroundDone(): void {
    if (--this.#background === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Checkpoints, then removes segments whose every event is settled, and emptied adopted directories. */
  maintain(closing: boolean): void {
    for (const directory of this.#list) {
      const finished = directory.segments.filter((segment) => segment.finished);
      if (!directory.settled.changed && finished.length === 0) continue;
      try {
        if (directory.settled.changed || finished.length > 0) saveCheckpoint(directory.path, directory.settled);
        for (const segment of finished) {
          this.#removeSegment(segment.path, closing);
          this.bytes -= segment.size;
          directory.segments.splice(directory.segments.indexOf(segment), 1);
        }
        const oldest = directory.segments[0];
        if (oldest !== undefined && Number.isFinite(oldest.firstSeq)) directory.settled.prune(oldest.firstSeq);
        if (directory.adopted && directory.segments.length === 0 && !this.#o.reading(directory)) this.#removeDirectory(directory);
      } catch (error) {
        this.#o.reporter.report('warn', `spool-maintain:${directory.path}`, `auditlake: cannot checkpoint or clean the spool directory ${directory.path} (${String(error)}); settled events may be sent again after a restart`);
      }
    }
  }

  /**
   * Removes a settled segment: off the event loop while running (deleting 8 MiB takes the file
   * system a few milliseconds), at once when closing, so that the directory can go too.
   */
  #removeSegment(path: string, closing: boolean): void {
    const failed = (error: NodeJS.ErrnoException | null) => {
      if (error && error.code !== 'ENOENT') this.#o.reporter.report('warn', `spool-unlink:${path}`, `auditlake: cannot remove the settled spool segment ${path} (${String(error)}); it takes disk space, and if it is still there when a sink next starts on this directory, its events may be sent again`);
    };
    if (!closing) {
      this.#background++;
      return unlink(path, (error) => {
        failed(error);
        this.#backgroundDone();
      });
    }
    try {
      unlinkSync(path);
    } catch (error) {
      failed(error as NodeJS.ErrnoException);
    }
  }

  /** Removes a finished adopted directory, unless it still holds one adopted in turn that is not finished (it goes with its own last segment). */
  #removeDirectory(directory: SpoolDirectory): void {
    const inside = `${directory.path}${sep}`;
    if (this.#list.some((other) => other !== directory && other.path.startsWith(inside))) return;
    rmSync(directory.path, { recursive: true, force: true });
    this.#list.splice(this.#list.indexOf(directory), 1);
    // Its parent may have been waiting for it.
    const parent = this.#list.find((other) => other.adopted && directory.path.startsWith(`${other.path}${sep}`) && other.segments.length === 0 && !this.#o.reading(other));
    if (parent) this.#removeDirectory(parent);
  }
}

/** Moves an unreadable file aside (never deleted: a person may want to look at it); returns where. */
function quarantine(spoolDir: string, path: string): string {
  const target = join(spoolDir, '.quarantine', `${Date.now()}-${basename(path)}`);
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    renameSync(path, target);
    return target;
  } catch {
    return path;
  }
}
