/**
 * Structural checks of JSON text that `JSON.parse` cannot make: how deep it nests (a
 * recursive reader of a 200,000-deep document overflows its stack) and whether an object
 * repeats a key. `JSON.parse` keeps the last of two equal keys and DuckDB the first, so a
 * document with a repeated key means different things to different readers.
 */

/** Nesting the lake accepts in request bodies, `eventData` and resource policies. */
export const MAX_JSON_DEPTH = 64;

/**
 * Deepest nesting of `[`/`{` and the number of object members (`:` outside strings) of JSON
 * text. Meant for text `JSON.parse` accepts; on other text the figures are meaningless.
 */
export function measureJson(text: string): { depth: number; members: number } {
  let depth = 0;
  let deepest = 0;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x3a) {
      members++;
    }
  }
  return { depth: deepest, members };
}

/** Own keys of every object in a parsed value; equal to `measureJson(text).members` unless a key repeats. */
export function countMembers(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key of Object.keys(value)) count += 1 + countMembers((value as Record<string, unknown>)[key]);
  return count;
}

/**
 * Parses JSON text and refuses what `JSON.parse` would accept silently: nesting deeper than
 * `maxDepth`, and a key repeated in one object. Returns the value, or what is wrong with the
 * text as the end of a sentence whose subject is the text ("eventData …").
 */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): { value: unknown } | { problem: string } {
  const { depth, members } = measureJson(text);
  if (depth > maxDepth) return { problem: `nests deeper than ${maxDepth} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `is not valid JSON: ${(error as Error).message}` };
  }
  if (countMembers(value) !== members) {
    const repeated = findRepeatedKey(text);
    return { problem: `has the key ${JSON.stringify(repeated?.key)} twice in ${repeated?.path ?? 'one object'}; keys must be unique, since readers disagree on which value counts` };
  }
  return { value };
}

/** Index of the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i === -1) return text.length;
    let backslashes = 0;
    for (let j = i - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}

/** The first key that repeats within one object, and where (`$.a.b[2]`); only called once a repeat is known. */
function findRepeatedKey(text: string): { key: string; path: string } | undefined {
  const stack: { keys: Set<string> | undefined; path: string; index: number }[] = [];
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack.at(-1);
    if (c === 0x22) {
      const end = endOfString(text, i);
      const literal = text.slice(i, end + 1);
      i = end;
      let next = i + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next++;
      if (top?.keys && text[next] === ':') {
        const key = JSON.parse(literal) as string;
        if (top.keys.has(key)) return { key, path: top.path };
        top.keys.add(key);
        pendingKey = key;
      }
    } else if (c === 0x7b || c === 0x5b) {
      const path = top === undefined ? '$' : top.keys ? `${top.path}.${pendingKey ?? '?'}` : `${top.path}[${top.index}]`;
      stack.push({ keys: c === 0x7b ? new Set() : undefined, path, index: 0 });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c && top && !top.keys) {
      top.index++;
    }
  }
  return undefined;
}
