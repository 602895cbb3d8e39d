/**
 * Makes a CloudTrail Lake query runnable by DuckDB without changing its meaning:
 * - CloudTrail Lake writes `FROM <event data store id>` with the id unquoted, and ids contain
 *   dashes, which DuckDB reads as minus signs; so bare ids become quoted names;
 * - `now()`, `current_timestamp`, `localtimestamp` and `current_date` become literals of the
 *   lake's clock (so that an injected clock moves them too, and every mention agrees);
 * - the few Trino functions a macro cannot stand for (they take a lambda) are renamed.
 * Literals, quoted identifiers and comments are left alone, and so is everything else.
 */
import { invalidQuery, AwsServiceError } from './aws-error.js';
import { CLOCK_FUNCTIONS, RENAMED_FUNCTIONS } from './trino-functions.js';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORD = /[A-Za-z0-9_-]/;

export interface RewrittenQuery {
  sql: string;
  /** The tables (event data store ids) the query names, in order of first mention, spelled as known. */
  tables: string[];
}

/**
 * Rewrites `sql`; a bare token shaped like a store id that names no known table is
 * `EventDataStoreNotFoundException`. `knownTables` maps lower-case names to their spelling;
 * `now` is the lake's clock in epoch milliseconds.
 */
export function rewriteQuery(sql: string, knownTables: ReadonlyMap<string, string>, now: number): RewrittenQuery {
  let out = '';
  const tables: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw invalidQuery('The query has a comment that is never closed (/* without */).');
      out += sql.slice(i, end + 2);
      i = end + 2;
    } else if (WORD.test(c) && (i === 0 || !WORD.test(sql[i - 1] as string))) {
      let end = i;
      while (end < sql.length && WORD.test(sql[end] as string)) end++;
      const token = sql.slice(i, end);
      const known = knownTables.get(token.toLowerCase());
      if (known !== undefined) {
        out += `"${known}"`;
        if (!tables.includes(known)) tables.push(known);
      } else if (UUID_SHAPE.test(token)) {
        throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store ID does not exist: ${token}`);
      } else {
        const afterDot = i > 0 && sql[i - 1] === '.';
        const rewritten = rewriteWords(token, sql, end, afterDot, now);
        out += rewritten.text;
        end = rewritten.end;
      }
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  // Tables in quoted identifiers count too: the query may already quote them.
  for (const match of sql.matchAll(/"([^"]+)"/g)) {
    const known = knownTables.get((match[1] as string).toLowerCase());
    if (known !== undefined && !tables.includes(known)) tables.push(known);
  }
  return { sql: out, tables };
}

/**
 * The dash-joined words of a token (`current_date-1` is two words and a minus), with clock
 * functions and renamed functions rewritten; `end` moves past the parentheses of a clock call.
 */
function rewriteWords(token: string, sql: string, tokenEnd: number, afterDot: boolean, now: number): { text: string; end: number } {
  const words = token.split('-');
  let end = tokenEnd;
  const text = words
    .map((word, index) => {
      if (index === 0 && afterDot) return word;
      const last = index === words.length - 1;
      const lower = word.toLowerCase();
      if (CLOCK_FUNCTIONS.has(lower)) {
        const call = last ? parenthesesAfter(sql, tokenEnd) : undefined;
        if (lower === 'now' && call === undefined) return word;
        if (call !== undefined) end = call;
        return clockLiteral(lower, now);
      }
      const renamed = RENAMED_FUNCTIONS.get(lower);
      if (renamed !== undefined && last && /^\s*\(/.test(sql.slice(tokenEnd, tokenEnd + 64))) return renamed;
      return word;
    })
    .join('-');
  return { text, end };
}

/** The index just past `( … )` when only whitespace separates it from `from`. */
function parenthesesAfter(sql: string, from: number): number | undefined {
  const open = /^\s*\(/.exec(sql.slice(from));
  if (!open) return undefined;
  const close = sql.indexOf(')', from + open[0].length);
  return close === -1 ? undefined : close + 1;
}

function clockLiteral(name: string, now: number): string {
  const iso = new Date(now).toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  if (name === 'current_date') return `DATE '${iso.slice(0, 10)}'`;
  if (name === 'localtimestamp') return `TIMESTAMP '${text}'`;
  return `TIMESTAMPTZ '${text}+00'`;
}

/** Index just past a quoted literal or identifier starting at `start` (doubled quotes escape). */
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  throw invalidQuery(`The query has a ${quote === "'" ? 'string literal' : 'quoted identifier'} that is never closed.`);
}

/** The first keyword of a statement, comments and parentheses skipped; upper case. */
export function firstKeyword(sql: string): string {
  const stripped = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/^[\s(]+/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}
