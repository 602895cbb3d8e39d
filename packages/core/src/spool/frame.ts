/**
 * The spool's on-disk record: one event per frame, each with its own length and CRC-32, so a
 * torn write or a flipped bit costs one event, never a whole segment (a per-chunk checksum is
 * how Fluent Bit lost acknowledged data). Little-endian:
 *
 * | bytes | field |
 * | --- | --- |
 * | 0–3 | payload length (UTF-8 bytes of the entry) |
 * | 4–7 | CRC-32 of bytes 8 to the end of the frame |
 * | 8–15 | sequence number within the spool directory (float64) |
 * | 16–23 | event time, epoch ms (float64) |
 * | 24–31 | first accepted, epoch ms (float64; retry deadlines count from here) |
 * | 32 | entry format (the destination that encoded it) |
 * | 33 | id length |
 * | 34–35 | reserved, zero |
 * | 36–39 | the entry's size in the destination's batch arithmetic |
 * | 40– | id (ASCII), then the entry (UTF-8) |
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 40;
/** Larger than any entry a destination accepts (1 MiB): a length beyond it is corruption. */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** First bytes of every segment file. */
export const SEGMENT_MAGIC = Buffer.from('ALSPOOL1', 'latin1');

export interface Frame {
  seq: number;
  timeMs: number;
  acceptedAt: number;
  format: number;
  /** The entry's size in the destination's batch arithmetic. */
  bytes: number;
  id: string;
  entry: string;
}

/** Size of the frame of an entry of `entryBytes` UTF-8 bytes under an id of `idLength` characters. */
export function frameBytes(idLength: number, entryBytes: number): number {
  return FRAME_HEADER_BYTES + idLength + entryBytes;
}

/** Room a frame may need: UTF-16 code units take at most 3 UTF-8 bytes each. */
export function maxFrameBytes(frame: Pick<Frame, 'id' | 'entry'>): number {
  return FRAME_HEADER_BYTES + frame.id.length + frame.entry.length * 3;
}

/** Writes one frame at `offset` of `target`, which has `maxFrameBytes(frame)` of room; returns its size. */
export function writeFrame(target: Buffer, offset: number, frame: Frame): number {
  const entryStart = offset + FRAME_HEADER_BYTES + frame.id.length;
  const entryBytes = target.write(frame.entry, entryStart, 'utf8');
  const size = frameBytes(frame.id.length, entryBytes);
  target.writeUInt32LE(entryBytes, offset);
  target.writeDoubleLE(frame.seq, offset + 8);
  target.writeDoubleLE(frame.timeMs, offset + 16);
  target.writeDoubleLE(frame.acceptedAt, offset + 24);
  target[offset + 32] = frame.format;
  target[offset + 33] = frame.id.length;
  target.fill(0, offset + 34, offset + 36);
  target.writeUInt32LE(frame.bytes, offset + 36);
  target.write(frame.id, offset + FRAME_HEADER_BYTES, 'latin1');
  target.writeUInt32LE(crc32(target.subarray(offset + 8, offset + size)), offset + 4);
  return size;
}

export type ReadResult =
  | { kind: 'frame'; frame: Frame; size: number }
  /** Not enough bytes for the whole frame: read more, or it is a torn tail. */
  | { kind: 'partial'; needed: number }
  /** A complete frame whose checksum or header does not hold: skip `size` bytes, or stop when the size itself is untrustworthy. */
  | { kind: 'corrupt'; size: number | undefined; reason: string };

/** Reads the frame at `offset` of `source[0, end)`. */
export function readFrame(source: Buffer, offset: number, end: number): ReadResult {
  if (end - offset < FRAME_HEADER_BYTES) return { kind: 'partial', needed: FRAME_HEADER_BYTES };
  const length = source.readUInt32LE(offset);
  const idLength = source[offset + 33] as number;
  if (length > MAX_PAYLOAD_BYTES || idLength === 0 || idLength > 128) return { kind: 'corrupt', size: undefined, reason: `implausible frame header (payload ${length} bytes, id ${idLength} bytes)` };
  const size = frameBytes(idLength, length);
  if (end - offset < size) return { kind: 'partial', needed: size };
  if (crc32(source.subarray(offset + 8, offset + size)) !== source.readUInt32LE(offset + 4)) return { kind: 'corrupt', size, reason: 'checksum mismatch' };
  const idStart = offset + FRAME_HEADER_BYTES;
  return {
    kind: 'frame',
    size,
    frame: {
      seq: source.readDoubleLE(offset + 8),
      timeMs: source.readDoubleLE(offset + 16),
      acceptedAt: source.readDoubleLE(offset + 24),
      format: source[offset + 32] as number,
      bytes: source.readUInt32LE(offset + 36),
      id: source.toString('latin1', idStart, idStart + idLength),
      entry: source.toString('utf8', idStart + idLength, offset + size),
    },
  };
}
