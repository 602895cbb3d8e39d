/**
 * `head.json`: the chain head after the last acknowledged record, rewritten after every commit
 * and before its acknowledgement, so that cutting records off the end of the log (which leaves
 * a valid chain) is detected for every acknowledged event, not only up to the last checkpoint.
 * Two fixed-size slots written in turn, each with a check value: a write torn by a crash
 * leaves the other slot intact. The file is written after the log is synced, so it never runs
 * ahead of the disk; it is synced itself with the checkpoints and at close (a power loss may
 * leave it behind the log, which verify accepts; it can never be ahead).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export const HEAD_FILE = 'head.json';
const SLOT_BYTES = 256;

export interface ChainHead {
  /** Records acknowledged. */
  seq: number;
  /** Chain hash after record `seq` (the genesis hash when 0). */
  hash: string;
  /** Log size up to and including record `seq`. */
  bytes: number;
  /**
   * Record count when this head file was created: 0 for a new store; more when it was rebuilt
   * from an existing log (a store of an older version, or a deleted head), whose records up to
   * there it does not vouch for.
   */
  since: number;
}

export function encodeSlot(head: ChainHead): Buffer {
  const json = JSON.stringify({ ...head, check: checkValue(head) });
  return Buffer.from(`${json.padEnd(SLOT_BYTES - 1, ' ')}\n`, 'utf8');
}

/** Writes `head` into the slot after the one last written; returns that slot. */
export async function writeHead(handle: FileHandle, head: ChainHead, previousSlot: number): Promise<number> {
  const slot = previousSlot === 0 ? 1 : 0;
  const buffer = encodeSlot(head);
  await handle.write(buffer, 0, buffer.length, slot * SLOT_BYTES);
  return slot;
}

/** The newest intact slot of a head file, which slot it is; undefined when the file is missing; a string when it is damaged. */
export function readHead(path: string): { head: ChainHead; slot: number } | undefined | string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `cannot read it: ${(error as Error).message}`;
  }
  let best: { head: ChainHead; slot: number } | undefined;
  for (const slot of [0, 1]) {
    const head = decodeSlot(bytes.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES));
    if (head && (!best || head.seq > best.head.seq)) best = { head, slot };
  }
  return best ?? 'neither of its two slots holds an intact head';
}

function decodeSlot(bytes: Buffer): ChainHead | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<ChainHead> & { check?: unknown };
    const head: ChainHead = { seq: value.seq as number, hash: value.hash as string, bytes: value.bytes as number, since: value.since as number };
    const valid =
      [head.seq, head.bytes, head.since].every((n) => Number.isInteger(n) && n >= 0) && typeof head.hash === 'string' && /^[0-9a-f]{64}$/.test(head.hash) && value.check === checkValue(head);
    return valid ? head : undefined;
  } catch {
    return undefined;
  }
}

function checkValue(head: ChainHead): string {
  return createHash('sha256').update(`${head.seq}:${head.hash}:${head.bytes}:${head.since}`).digest('hex').slice(0, 16);
}
