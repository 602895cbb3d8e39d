/**
 * `nextToken` paging of the Describe operations. A token holds the key of the last item of its
 * page (not an offset), so groups or streams created or deleted between two pages neither
 * repeat nor skip an item; and it names its listing, so a token of one listing given to
 * another is refused.
 */
import { invalidParameter } from './validation.js';

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * The page after `token` of `items`, which are in the order `compare` gives their keys; keys
 * are JSON values.
 */
export function pageAfter<T, K extends string | number | (string | number)[]>(
  items: readonly T[],
  keyOf: (item: T) => K,
  token: string | undefined,
  limit: number,
  scope: string,
  compare: (a: K, b: K) => number = defaultCompare,
): Page<T> {
  let start = 0;
  if (token !== undefined) {
    const after = readToken<K>(token, scope);
    start = items.findIndex((item) => compare(keyOf(item), after) > 0);
    if (start === -1) start = items.length;
  }
  const page = items.slice(start, start + limit);
  const last = page.at(-1);
  const more = start + page.length < items.length;
  return { items: page, nextToken: more && last !== undefined ? writeToken(scope, keyOf(last)) : undefined };
}

export function writeToken(scope: string, key: unknown): string {
  return Buffer.from(JSON.stringify({ s: scope, k: key }), 'utf8').toString('base64url');
}

export function readToken<K>(token: string, scope: string): K {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; k?: unknown };
    if (parsed.s === scope && parsed.k !== undefined) return parsed.k as K;
  } catch {
    // Falls through to the error below.
  }
  throw invalidParameter('The specified nextToken is not valid: it was not returned by this operation with these parameters.');
}

function defaultCompare(a: unknown, b: unknown): number {
  const x = Array.isArray(a) ? a : [a];
  const y = Array.isArray(b) ? b : [b];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] as string | number;
    const q = y[i] as string | number;
    if (p < q) return -1;
    if (p > q) return 1;
  }
  return 0;
}
