/** What the filter-pattern readers share: quoting, regular expressions, and the error a bad pattern gets. */
import { invalidParameter } from './validation.js';

export function invalidPattern(pattern: string, why: string) {
  return invalidParameter(`Invalid filter pattern ${JSON.stringify(pattern)}: ${why}.`);
}

export function compileRegex(source: string, pattern: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw invalidPattern(pattern, `the regular expression is not valid (${(error as Error).message})`);
  }
}

/** The index of the `"` that closes the one at `open` (backslash escapes skipped), or -1. */
export function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
