/**
 * Reading a framed log for SQL, without ever writing it: complete lines only (a line being
 * written, or a torn last line, is simply not read yet), the line that ends at a given offset
 * (to check that a columnar copy still matches the log), and lines made safe for DuckDB's JSON
 * reader (lone surrogates shown as U+FFFD, see well-formed-json.ts).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { frameLine, unframeLine } from './stored-event.js';
import { mayHoldSurrogateEscape, wellFormedJsonText } from './well-formed-json.js';

const NEWLINE = 0x0a;

/** Size of a file, or 0 when it does not exist (yet). */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Complete lines of `path` from byte `from`, about `maxBytes` of them (one longer line is read
 * whole). `bytes` is how far they reach; 0 when no complete line follows `from`.
 */
export async function readLines(path: string, from: number, maxBytes: number): Promise<{ lines: Buffer; bytes: number }> {
  const size = fileSize(path);
  if (size <= from) return { lines: Buffer.alloc(0), bytes: 0 };
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let position = from;
    while (position < size) {
      const buffer = Buffer.allocUnsafe(Math.min(maxBytes, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      const read = buffer.subarray(0, bytesRead);
      const end = read.lastIndexOf(NEWLINE) + 1;
      if (end > 0) {
        chunks.push(read.subarray(0, end));
        const lines = Buffer.concat(chunks);
        return { lines, bytes: lines.length };
      }
      chunks.push(read);
      position += bytesRead;
    }
    return { lines: Buffer.alloc(0), bytes: 0 };
  } finally {
    await handle.close();
  }
}

/** The line (without its newline) whose newline is the byte before `end`, or undefined. */
export function lineEndingAt(path: string, end: number): string | undefined {
  if (end <= 0 || fileSize(path) < end) return undefined;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, end - 1);
    if (last[0] !== NEWLINE) return undefined;
    let window = 4096;
    for (;;) {
      const start = Math.max(0, end - 1 - window);
      const buffer = Buffer.alloc(end - 1 - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const previous = buffer.lastIndexOf(NEWLINE);
      if (previous !== -1 || start === 0) return buffer.subarray(previous + 1).toString('utf8');
      window *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** The hash and `seq` of a framed line, or undefined when it is not one. */
export function lineIdentity(line: string): { hash: string; seq: number } | undefined {
  const framed = unframeLine(line);
  if (typeof framed === 'string') return undefined;
  const seq = /^\{"seq":(\d+)[,}]/.exec(framed.recordJson)?.[1];
  return seq === undefined ? undefined : { hash: framed.hash, seq: Number(seq) };
}

/** The last line of a buffer of complete lines. */
export function lastLine(lines: Buffer): string {
  const end = lines.length - 1;
  return lines.subarray(lines.lastIndexOf(NEWLINE, end - 1) + 1, end).toString('utf8');
}

/**
 * `lines` with every record that holds a lone surrogate rewritten so that DuckDB reads it:
 * raw lone surrogates anywhere, and escaped ones inside a JSON text field (`eventData`),
 * become U+FFFD. Only the staged copy changes; the log and its hashes are untouched.
 */
export function wellFormedLines(lines: Buffer): Buffer {
  if (!holdsSurrogateEscape(lines)) return lines;
  const out = lines
    .toString('utf8')
    .split('\n')
    .map((line) => {
      if (!mayHoldSurrogateEscape(line)) return line;
      const framed = unframeLine(line);
      if (typeof framed === 'string') return line;
      let record: unknown;
      try {
        record = JSON.parse(framed.recordJson);
      } catch {
        return line;
      }
      return frameLine(framed.hash, JSON.stringify(wellFormed(record, ''))).slice(0, -1);
    });
  return Buffer.from(out.join('\n'), 'utf8');
}

/** Whether the bytes hold `\u` followed by d/D and 8-f (a surrogate escape), searched natively. */
function holdsSurrogateEscape(lines: Buffer): boolean {
  for (const prefix of ['\\ud', '\\uD']) {
    for (let i = lines.indexOf(prefix); i !== -1; i = lines.indexOf(prefix, i + 3)) {
      const next = lines[i + 3];
      if (next !== undefined && ((next >= 0x38 && next <= 0x39) || (next >= 0x61 && next <= 0x66) || (next >= 0x41 && next <= 0x46))) return true;
    }
  }
  return false;
}

/** JSON text fields of a record, whose escapes need fixing too. */
const JSON_TEXT_FIELDS = new Set(['eventData']);

function wellFormed(value: unknown, key: string): unknown {
  if (typeof value === 'string') return JSON_TEXT_FIELDS.has(key) ? wellFormedJsonText(value) : value.toWellFormed();
  if (Array.isArray(value)) return value.map((item) => wellFormed(item, ''));
  if (value !== null && typeof value === 'object') {
    // No prototype: a key named __proto__ stays data.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[k] = wellFormed(v, k);
    return out;
  }
  return value;
}
