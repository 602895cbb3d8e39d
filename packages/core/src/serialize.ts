/**
 * Turns any JavaScript value into a JSON-safe tree, so that serialization never throws and
 * every value has a defined rendering:
 *
 * | value | rendering |
 * | --- | --- |
 * | circular reference | `"[Circular]"` |
 * | nesting deeper than `maxDepth` | `"[MaxDepth]"` |
 * | `bigint` | its decimal digits, as a string |
 * | `Date` | ISO-8601 string; an invalid date is `null` |
 * | `Error` | `{ name, message, code?, cause?, ...own enumerable fields }` (no stack: audit data, not debugging) |
 * | `Buffer`, `Uint8Array`, `ArrayBuffer` | base64 string |
 * | other typed arrays | array of numbers (bigint elements as strings) |
 * | `Map` / `Set` | object with stringified keys / array |
 * | `undefined`, functions | left out of objects, `null` in arrays (as JSON does) |
 * | `symbol` | `"Symbol(description)"`; symbol-keyed properties are left out |
 * | `NaN`, `±Infinity` | `null` (as JSON does) |
 * | strings with lone UTF-16 surrogates | each lone surrogate replaced by U+FFFD |
 * | objects with `toJSON()` | the result of `toJSON()`, rendered again |
 * | a getter or proxy that throws | `"[Unserializable: <message>]"` |
 */

export const DEFAULT_MAX_DEPTH = 32;

const CIRCULAR = '[Circular]';
const MAX_DEPTH = '[MaxDepth]';

/** Replaces lone surrogates, which have no UTF-8 encoding, by U+FFFD. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * A JSON-safe deep copy of `value`. Returns `undefined` for values JSON leaves out
 * (`undefined`, functions).
 */
export function toJsonSafe(value: unknown, maxDepth: number = DEFAULT_MAX_DEPTH): unknown {
  return render(value, 0, maxDepth, []);
}

/**
 * Whether `JSON.stringify(value)` writes exactly what {@link toJsonSafe} would render, given that
 * its strings are well-formed: plain objects and arrays below `maxDepth` (so no cycle) of
 * strings, numbers, booleans and `null` (`undefined` is left out, or `null` in arrays, by both; a
 * function is not, as a field given as one must read as absent, which only a rendered copy
 * shows). Such a value needs no copy to be serialized safely. The strings' well-formedness is
 * checked on the serialized text, with {@link mayHoldLoneSurrogate}: one scan of the text rather
 * than a call per string and key. Reads every property once and allocates nothing but key lists;
 * never throws (a throwing getter or proxy means "render it").
 */
export function isJsonShaped(value: unknown, maxDepth: number = DEFAULT_MAX_DEPTH): boolean {
  // An inherited toJSON would apply to every object: checked once here, not at each object.
  if ((Object.prototype as { toJSON?: unknown }).toJSON !== undefined || (Array.prototype as { toJSON?: unknown }).toJSON !== undefined) return false;
  try {
    return shapedAt(value, 0, maxDepth);
  } catch {
    return false;
  }
}

/**
 * Whether a text written by `JSON.stringify` may hold a lone surrogate. It writes one as
 * `\udXXX` (lowercase, as ES2019 has it) and nothing else that way, so a text without `\ud`
 * holds none; one with it may (a string holding a backslash, `u`, `d` shows the same way).
 */
export function mayHoldLoneSurrogate(json: string): boolean {
  return json.includes('\\ud');
}

function shapedAt(value: unknown, depth: number, maxDepth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      return value === null || shapedObject(value, depth, maxDepth);
    default:
      return false;
  }
}

/**
 * {@link shapedAt} of an object. Most members are strings and numbers: they are settled in the
 * loop, without a call each (a recursive call is not inlined).
 */
function shapedObject(value: object, depth: number, maxDepth: number): boolean {
  if (depth >= maxDepth) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Array.prototype && Array.isArray(value)) {
    if ((value as { toJSON?: unknown }).toJSON !== undefined) return false;
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== 'string' && typeof item !== 'number' && !shapedAt(item, depth + 1, maxDepth)) return false;
    }
    return true;
  }
  if (prototype !== Object.prototype && prototype !== null) return false;
  // for-in allocates no key list; an inherited enumerable key (a patched prototype) is only checked too.
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (key === 'toJSON' || (typeof item !== 'string' && typeof item !== 'number' && !shapedAt(item, depth + 1, maxDepth))) return false;
  }
  return true;
}

/**
 * `value` itself when it needs no rendering but for its strings' well-formedness
 * ({@link isJsonShaped}: the caller checks the text), else its safe copy; `undefined` for what
 * JSON leaves out. What the sink serializes at once and never changes need not be copied.
 */
export function jsonShapedValue(value: unknown, maxDepth: number = DEFAULT_MAX_DEPTH): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      // Written as they are: JSON writes a non-finite number as null, as the rendering does.
      return value;
    case 'undefined':
    case 'function':
      return undefined;
  }
  return isJsonShaped(value, maxDepth) ? value : render(value, 0, maxDepth, []);
}

/** A shallow copy of a JSON object's own fields, without the undefined values a rendered copy leaves out. */
export function definedFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) if (object[key] !== undefined) setOwn(out, key, object[key]);
  return out;
}

function render(value: unknown, depth: number, maxDepth: number, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
      return wellFormed(value);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return wellFormed(value.toString());
    case 'undefined':
    case 'function':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.includes(object)) return CIRCULAR;
  if (depth >= maxDepth) return MAX_DEPTH;
  ancestors.push(object);
  try {
    return renderObject(object, depth + 1, maxDepth, ancestors);
  } catch (error) {
    return `[Unserializable: ${errorText(error)}]`;
  } finally {
    ancestors.pop();
  }
}

function renderObject(object: object, depth: number, maxDepth: number, ancestors: object[]): unknown {
  if (Array.isArray(object)) return renderArray(object, depth, maxDepth, ancestors);
  // Plain objects are nearly everything a logger hands us: settle them before the instanceof chain.
  const prototype: unknown = Object.getPrototypeOf(object);
  if ((prototype === Object.prototype || prototype === null) && typeof (object as { toJSON?: unknown }).toJSON !== 'function') {
    return renderPlain(object, depth, maxDepth, ancestors);
  }
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  if (object instanceof Error || Object.prototype.toString.call(object) === '[object Error]') return renderError(object, depth, maxDepth, ancestors);
  if (object instanceof Uint8Array) return Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64');
  if (object instanceof ArrayBuffer) return Buffer.from(object).toString('base64');
  if (ArrayBuffer.isView(object)) {
    return object instanceof DataView
      ? Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64')
      : Array.from(object as unknown as ArrayLike<number | bigint>, (n) => (typeof n === 'bigint' ? n.toString() : n));
  }
  if (object instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of object) assign(out, wellFormed(String(key)), render(item, depth, maxDepth, ancestors));
    return out;
  }
  if (object instanceof Set) return renderArray([...object], depth, maxDepth, ancestors);
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const replaced: unknown = toJSON.call(object);
    return replaced === object ? renderPlain(object, depth, maxDepth, ancestors) : render(replaced, depth, maxDepth, ancestors);
  }
  return renderPlain(object, depth, maxDepth, ancestors);
}

function renderArray(items: readonly unknown[], depth: number, maxDepth: number, ancestors: object[]): unknown[] {
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = render(items[i], depth, maxDepth, ancestors) ?? null;
  return out;
}

function renderPlain(object: object, depth: number, maxDepth: number, ancestors: object[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    let item: unknown;
    try {
      item = render((object as Record<string, unknown>)[key], depth, maxDepth, ancestors);
    } catch (error) {
      item = `[Unserializable: ${errorText(error)}]`;
    }
    assign(out, wellFormed(key), item);
  }
  return out;
}

function renderError(error: object, depth: number, maxDepth: number, ancestors: object[]): Record<string, unknown> {
  const { name, message } = error as { name?: unknown; message?: unknown };
  const out: Record<string, unknown> = { name: wellFormed(String(name)), message: wellFormed(String(message)) };
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (code !== undefined) assign(out, 'code', render(code, depth, maxDepth, ancestors));
  if (cause !== undefined) assign(out, 'cause', render(cause, depth, maxDepth, ancestors));
  for (const [key, item] of Object.entries(renderPlain(error, depth, maxDepth, ancestors))) {
    if (key !== 'stack' && !(key in out)) out[key] = item;
  }
  return out;
}

function assign(out: Record<string, unknown>, key: string, item: unknown): void {
  if (item !== undefined) setOwn(out, key, item);
}

/** `out[key] = value`, except that a key named `__proto__` becomes data, not the object's prototype. */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function errorText(error: unknown): string {
  try {
    return wellFormed(error instanceof Error ? error.message : String(error));
  } catch {
    return 'unknown error';
  }
}

/** `JSON.stringify` of a value already made safe by {@link toJsonSafe}. */
export function stringifySafe(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Texts up to this length are measured by writing them into {@link scratch}: at most 3 bytes per code unit. */
const SCRATCH_CHARS = 21_845;
let scratch: Buffer | undefined;

/**
 * UTF-8 length of a string, exactly as it goes on the wire (a lone surrogate counts as the 3
 * bytes of U+FFFD, as Node writes it). Writing a text into a reused buffer and counting what
 * was written costs about half of `Buffer.byteLength` on Node 20-24 (measured on 1.3 kB entries:
 * 91 against 177 ns), whose count is a slower loop than the encoder; every queued event is
 * measured at least once (a CloudWatch Logs entry again when its request body is sized).
 */
export function utf8Bytes(text: string): number {
  if (text.length > SCRATCH_CHARS) return Buffer.byteLength(text, 'utf8');
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_CHARS * 3);
  return scratch.write(text, 0, 'utf8');
}

/**
 * The same text, joined into one flat string now. `JSON.stringify` and concatenation return a
 * tree of parts, which V8 joins the first time the text is written out. A text kept for later
 * (a queued entry) would be joined when its request is built, after it waited in the queue: by
 * then it is in the old generation, and so is its joined copy, new memory there for every entry
 * (measured on 1.4 kB entries that had outlived young collections: 2-6 µs each to write out,
 * against 0.14-0.25 µs when joined as they were made). Writing it once into scratch memory
 * joins it while it is young, where the parts die cheaply.
 */
export function flattened(text: string): string {
  utf8Bytes(text);
  return text;
}
