/**
 * CloudWatch Logs filter patterns, as FilterLogEvents applies them to each message:
 * - empty: every event;
 * - terms, case-sensitive, each found anywhere in the message: `ERROR` (one), `ERROR Exception`
 *   (both), `?ERROR ?WARN` (either; a term after a `?` term joins its group), `-Exception`
 *   (not), `"a quoted phrase"`;
 * - `%regex%`: the message matches the regular expression;
 * - JSON, for messages that are JSON: `{ $.eventName = "Login" }` with `=`/`!=` on strings
 *   (`*` is a wildcard) and numbers, `<`, `<=`, `>`, `>=` on numbers, `IS NULL`, `IS TRUE`,
 *   `IS FALSE`, `NOT EXISTS`, `%regex%` values, selectors with `.key` and `[index]`, and
 *   `&&`, `||` and parentheses.
 * Space-delimited patterns (`[ip, user, ...]`) are refused with a message that says so.
 */
import { JsonPatternParser, NOT_JSON, parseJson } from './json-filter-pattern.js';
import { closingQuote, compileRegex, invalidPattern } from './pattern-text.js';

export type MessageMatcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): MessageMatcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) throw invalidPattern(pattern as string, 'a JSON pattern ends with }');
    const test = new JsonPatternParser(text.slice(1, -1), pattern as string).parse();
    return (message) => {
      const value = parseJson(message);
      return value !== NOT_JSON && test(value);
    };
  }
  if (text.startsWith('[')) throw invalidPattern(pattern as string, 'the local lake does not support space-delimited patterns ([field, ...]); use terms, %regex% or a JSON pattern');
  if (text.length > 1 && text.startsWith('%') && text.endsWith('%')) {
    const regex = compileRegex(text.slice(1, -1), pattern as string);
    return (message) => regex.test(message);
  }
  return termMatcher(text, pattern as string);
}

function termMatcher(text: string, pattern: string): MessageMatcher {
  const groups: string[][] = [];
  const excluded: string[] = [];
  let current: string[] | undefined;
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i] as string)) {
      i++;
      continue;
    }
    let kind: 'any' | 'not' | 'all' = 'all';
    if (text[i] === '?' || text[i] === '-') {
      kind = text[i] === '?' ? 'any' : 'not';
      i++;
    }
    let term: string;
    if (text[i] === '"') {
      const end = closingQuote(text, i);
      if (end === -1) throw invalidPattern(pattern, 'a quoted term is never closed');
      term = text.slice(i + 1, end).replace(/\\(["\\])/g, '$1');
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !/\s/.test(text[end] as string)) end++;
      term = text.slice(i, end);
      i = end;
    }
    if (term === '') throw invalidPattern(pattern, `a ${kind === 'any' ? '?' : '-'} is not followed by a term`);
    if (kind === 'not') excluded.push(term);
    else if (kind === 'any' || current === undefined) groups.push((current = [term]));
    else current.push(term);
  }
  return (message) => excluded.every((term) => !message.includes(term)) && (groups.length === 0 || groups.some((group) => group.every((term) => message.includes(term))));
}
