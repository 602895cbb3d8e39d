/**
 * Makes a CloudTrail Lake query runnable by DuckDB without changing its meaning. CloudTrail
 * Lake writes `FROM <event data store id>` with the id unquoted, and ids contain dashes,
 * which DuckDB reads as minus signs; so bare ids (outside literals, quoted identifiers and
 * comments) become quoted view names. Everything else is left as written.
 */
import { invalidQuery, AwsServiceError } from './aws-error.js';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORD = /[A-Za-z0-9_-]/;

export interface RewrittenQuery {
  sql: string;
  /** Ids of the event data stores the query names, in order of first mention. */
  eventDataStoreIds: string[];
}

/**
 * Quotes the known store ids in `sql`; a bare token shaped like a store id that names no
 * store is `EventDataStoreNotFoundException`. `knownIds` maps lower-case ids to their spelling.
 */
export function rewriteQuery(sql: string, knownIds: ReadonlyMap<string, string>): RewrittenQuery {
  let out = '';
  const ids: string[] = [];
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
      const known = knownIds.get(token.toLowerCase());
      if (known !== undefined) {
        out += `"${known}"`;
        if (!ids.includes(known)) ids.push(known);
      } else if (UUID_SHAPE.test(token)) {
        throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store ID does not exist: ${token}`);
      } else {
        out += token;
      }
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  // Store ids in quoted identifiers count too: the query may already quote them.
  for (const match of sql.matchAll(/"([^"]+)"/g)) {
    const known = knownIds.get((match[1] as string).toLowerCase());
    if (known !== undefined && !ids.includes(known)) ids.push(known);
  }
  return { sql: out, eventDataStoreIds: ids };
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
