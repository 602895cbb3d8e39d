/**
 * Where each `eventData` is written in a PutAuditEvents body. The lake stores an event's
 * `eventData` as a JSON string inside its record; the request already holds that string,
 * escaped, so the record takes the literal from the body as it is instead of escaping the
 * parsed text a second time (about a sixth of the lake's work per event). A literal means what
 * `JSON.parse` read from it, whatever escapes the client chose (`\/`, `\u0041`), so the stored
 * record reads back the same.
 *
 * The same pass measures how deep the body nests, which the lake checks before parsing anyway.
 */
import { endOfString } from './json-shape.js';

export interface BodyShape {
  /** Deepest nesting of `[`/`{`. */
  depth: number;
  /**
   * By position in the `auditEvents` that `JSON.parse` keeps (the last of repeated keys), the
   * `eventData` member's string literal, quotes included; `undefined` where it is not a string.
   */
  eventData: (string | undefined)[];
}

const QUOTE = 0x22;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** One open container: an object (with the key of the member being read) or an array (with the index of the item). */
interface Frame {
  object: boolean;
  key: string | undefined;
  index: number;
  /** This array is the body's `auditEvents`. */
  events: boolean;
}

/**
 * The shape of a PutAuditEvents body: meant for text `JSON.parse` accepts (on other text the
 * answer is meaningless). One pass; string contents are skipped with `indexOf`.
 */
export function scanPutAuditEventsBody(text: string): BodyShape {
  const stack: Frame[] = [];
  let deepest = 0;
  let eventData: (string | undefined)[] = [];
  // A string in an object is a key until its colon.
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = endOfString(text, i);
      const top = stack.at(-1);
      if (top?.object && expectKey) {
        top.key = keyOf(text, i, end);
        expectKey = false;
      } else if (top?.object && top.key === 'eventData' && stack.length === 3 && (stack[1] as Frame).events) {
        eventData[(stack[1] as Frame).index] = text.slice(i, end + 1);
        top.key = undefined;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const parent = stack.at(-1);
      const events = c === OPEN_ARRAY && stack.length === 1 && parent?.key === 'auditEvents';
      // A repeated `auditEvents` key: JSON.parse keeps the last one.
      if (events) eventData = [];
      noteOtherValue(stack);
      stack.push({ object: c === OPEN_OBJECT, key: undefined, index: 0, events });
      if (stack.length > deepest) deepest = stack.length;
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = stack.at(-1);
      if (top?.object) expectKey = true;
      else if (top) top.index++;
    } else if (c !== COLON && c > 0x20) {
      // The first character of a number, `true`, `false` or `null`.
      noteOtherValue(stack);
    }
  }
  return { depth: deepest, eventData };

  /** A value that is not a string starts in the current container: an `eventData` it belongs to is not a string. */
  function noteOtherValue(frames: Frame[]): void {
    const top = frames.at(-1);
    if (top?.object && top.key === 'eventData' && frames.length === 3 && (frames[1] as Frame).events) eventData[(frames[1] as Frame).index] = undefined;
    if (top?.object) top.key = undefined;
  }
}

/** A key's text: as written unless it has escapes (`"eventD\u0061ta"` is `eventData` too). */
function keyOf(text: string, start: number, end: number): string {
  const literal = text.slice(start + 1, end);
  if (!literal.includes('\\')) return literal;
  try {
    return JSON.parse(`"${literal}"`) as string;
  } catch {
    return literal; // not JSON after all: the body is refused by JSON.parse
  }
}
