/**
 * Where each `eventData` is written in a PutAuditEvents body. The lake stores an event's
 * `eventData` as a JSON string inside its record; the request already holds that string,
 * escaped and encoded, so the record copies the literal's bytes from the body instead of
 * escaping and encoding the parsed text again (about a sixth of the lake's work per event). A
 * literal means what `JSON.parse` read from it, whatever escapes the client chose (`\/`,
 * `\u0041`), so the stored record reads back the same.
 *
 * The scan reads the body's bytes, not its decoded text: the literal is then a view of the
 * body (no copy, and nothing that keeps the decoded text alive until the commit), and JSON's
 * structure is ASCII, which no byte of a multi-byte UTF-8 sequence can be mistaken for. A body
 * that is not valid UTF-8 gives no literals (its decoded text is not its bytes). The same pass
 * measures how deep the body nests, which the lake checks before parsing anyway.
 */
import { isUtf8 } from 'node:buffer';

export interface BodyShape {
  /** Deepest nesting of `[`/`{`. */
  depth: number;
  /**
   * By position in the `auditEvents` that `JSON.parse` keeps (the last of repeated keys), the
   * `eventData` member's string literal (quotes included) as a view of the body; `undefined`
   * where it is not a string, and for every event of a body that is not valid UTF-8.
   */
  eventData: (Buffer | undefined)[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** The body (1), `auditEvents` (2), an event (3). */
const TRACKED_DEPTH = 3;

/** One open container: an object (with the key of the member being read) or an array (with the index of the item). */
interface Frame {
  object: boolean;
  key: string | undefined;
  index: number;
  /** This array is the body's `auditEvents`. */
  events: boolean;
}

/**
 * The shape of a PutAuditEvents body: meant for bodies `JSON.parse` accepts (on others the
 * answer is meaningless, and it never throws). One pass; string contents are skipped with
 * `indexOf`.
 */
export function scanPutAuditEventsBody(body: Buffer): BodyShape {
  // Containers are followed only down to an event's members; deeper ones are only counted, so
  // that a hostile body nested a million deep costs no memory.
  const stack: Frame[] = [];
  let depth = 0;
  let deepest = 0;
  let eventData: (Buffer | undefined)[] = [];
  // A string in an object is a key until its colon.
  let expectKey = false;
  const current = (): Frame | undefined => (depth <= TRACKED_DEPTH ? stack[depth - 1] : undefined);
  /** The `eventData` member of an event is being read: its event's index, else -1. */
  const eventIndex = (top: Frame | undefined): number =>
    top?.object === true && top.key === 'eventData' && depth === TRACKED_DEPTH && (stack[1] as Frame).events ? (stack[1] as Frame).index : -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as number;
    if (c === QUOTE) {
      const end = endOfString(body, i);
      const top = current();
      if (top?.object && expectKey) {
        top.key = keyOf(body, i, end);
        expectKey = false;
      } else {
        const index = eventIndex(top);
        if (index !== -1) eventData[index] = body.subarray(i, end + 1);
        if (top?.object) top.key = undefined;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const top = current();
      const events = c === OPEN_ARRAY && depth === 1 && top?.key === 'auditEvents';
      // A repeated `auditEvents` key: JSON.parse keeps the last one.
      if (events) eventData = [];
      otherValue(top);
      depth++;
      if (depth <= TRACKED_DEPTH) stack[depth - 1] = { object: c === OPEN_OBJECT, key: undefined, index: 0, events };
      if (depth > deepest) deepest = depth;
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === COMMA) {
      const top = current();
      if (top?.object) expectKey = true;
      else if (top) top.index++;
    } else if (c !== COLON && c > 0x20) {
      // The first byte of a number, `true`, `false` or `null`.
      otherValue(current());
    }
  }
  return { depth: deepest, eventData: isUtf8(body) ? eventData : [] };

  /** A value that is not a string starts in `top`: an `eventData` it is the value of is not a string. */
  function otherValue(top: Frame | undefined): void {
    const index = eventIndex(top);
    if (index !== -1) eventData[index] = undefined;
    if (top?.object) top.key = undefined;
  }
}

/**
 * The key whose literal spans `start`..`end` (quotes), when it may matter here (`eventData`,
 * `auditEvents`), else `undefined`; escaped keys (`"eventD\u0061ta"` is `eventData` too) are
 * decoded.
 */
function keyOf(body: Buffer, start: number, end: number): string | undefined {
  let escaped = false;
  for (let i = start + 1; i < end && !escaped; i++) escaped = body[i] === BACKSLASH;
  if (!escaped) {
    const length = end - start - 1;
    return length === 9 || length === 11 ? body.toString('latin1', start + 1, end) : undefined;
  }
  try {
    return JSON.parse(body.toString('utf8', start, end + 1)) as string;
  } catch {
    return undefined; // not JSON after all: JSON.parse refuses the body
  }
}

/** Index of the closing quote of the string that opens at `start` (the body's length if none). */
function endOfString(body: Buffer, start: number): number {
  let i = start;
  for (;;) {
    i = body.indexOf(QUOTE, i + 1);
    if (i === -1) return body.length;
    let backslashes = 0;
    for (let j = i - 1; body[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}
