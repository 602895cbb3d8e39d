/**
 * JSON filter patterns (`{ $.eventName = "Login" && $.latency > 100 }`), for messages that are
 * JSON: `=`/`!=` on strings (`*` is a wildcard) and numbers, `<`, `<=`, `>`, `>=` on numbers,
 * `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, `%regex%` values, selectors with `.key` and
 * `[index]`, `&&`, `||` and parentheses.
 */
import { closingQuote, compileRegex, invalidPattern } from './pattern-text.js';

export const NOT_JSON = Symbol('not JSON');

/** A message's JSON value, or NOT_JSON when it is no JSON object or array. */
export function parseJson(message: string): unknown {
  const first = message.trimStart()[0];
  if (first !== '{' && first !== '[') return NOT_JSON;
  try {
    return JSON.parse(message) as unknown;
  } catch {
    return NOT_JSON;
  }
}

export type JsonTest = (document: unknown) => boolean;
type Step = { key: string } | { index: number };

const OPERATORS = ['!=', '<=', '>=', '=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];
type PatternValue = { kind: 'string'; text: string } | { kind: 'number'; value: number } | { kind: 'regex'; regex: RegExp };

export class JsonPatternParser {
  readonly #text: string;
  readonly #pattern: string;
  #at = 0;

  constructor(text: string, pattern: string) {
    this.#text = text;
    this.#pattern = pattern;
  }

  parse(): JsonTest {
    const test = this.#or();
    this.#space();
    if (this.#at < this.#text.length) throw this.#error(`unexpected ${JSON.stringify(this.#text.slice(this.#at, this.#at + 20))}`);
    return test;
  }

  #or(): JsonTest {
    const tests = [this.#and()];
    while (this.#take('||')) tests.push(this.#and());
    return tests.length === 1 ? (tests[0] as JsonTest) : (document) => tests.some((test) => test(document));
  }

  #and(): JsonTest {
    const tests = [this.#unary()];
    while (this.#take('&&')) tests.push(this.#unary());
    return tests.length === 1 ? (tests[0] as JsonTest) : (document) => tests.every((test) => test(document));
  }

  #unary(): JsonTest {
    if (this.#take('(')) {
      const test = this.#or();
      if (!this.#take(')')) throw this.#error('a ( is never closed');
      return test;
    }
    return this.#comparison();
  }

  #comparison(): JsonTest {
    const path = this.#selector();
    const select = (document: unknown) => resolve(document, path);
    if (this.#takeWord('IS')) {
      if (this.#takeWord('NULL')) return (document) => select(document) === null;
      if (this.#takeWord('TRUE')) return (document) => select(document) === true;
      if (this.#takeWord('FALSE')) return (document) => select(document) === false;
      throw this.#error('IS takes NULL, TRUE or FALSE');
    }
    if (this.#takeWord('NOT')) {
      if (this.#takeWord('EXISTS')) return (document) => select(document) === undefined;
      throw this.#error('NOT takes EXISTS');
    }
    const operator = OPERATORS.find((op) => this.#take(op));
    if (operator === undefined) throw this.#error('a selector is followed by =, !=, <, <=, >, >=, IS or NOT EXISTS');
    const value = this.#value();
    const compare = comparison(operator, value, () => this.#error(`${operator} needs a number`));
    return (document) => {
      const selected = select(document);
      return selected !== undefined && compare(selected);
    };
  }

  #selector(): Step[] {
    this.#space();
    if (this.#text[this.#at] !== '$') throw this.#error('a comparison starts with a selector such as $.eventName');
    this.#at++;
    const steps: Step[] = [];
    for (;;) {
      const c = this.#text[this.#at];
      if (c === '.') {
        const match = /^[^\s.[\]=!<>()&|]+/.exec(this.#text.slice(++this.#at));
        if (!match) throw this.#error('a . in a selector is followed by a key');
        steps.push({ key: match[0] });
        this.#at += match[0].length;
      } else if (c === '[') {
        const match = /^\[(\d+)\]/.exec(this.#text.slice(this.#at));
        if (!match) throw this.#error('a [ in a selector holds an index, e.g. [0]');
        steps.push({ index: Number(match[1]) });
        this.#at += match[0].length;
      } else {
        return steps;
      }
    }
  }

  #value(): PatternValue {
    this.#space();
    const rest = this.#text.slice(this.#at);
    if (rest.startsWith('"')) {
      const end = closingQuote(rest, 0);
      if (end === -1) throw this.#error('a quoted value is never closed');
      this.#at += end + 1;
      return { kind: 'string', text: rest.slice(1, end).replace(/\\(["\\])/g, '$1') };
    }
    if (rest.startsWith('%')) {
      const end = rest.indexOf('%', 1);
      if (end === -1) throw this.#error('a %regex% value is never closed');
      this.#at += end + 1;
      return { kind: 'regex', regex: compileRegex(rest.slice(1, end), this.#pattern) };
    }
    const match = /^[^\s()&|]+/.exec(rest);
    if (!match) throw this.#error('a comparison needs a value');
    this.#at += match[0].length;
    const number = Number(match[0]);
    return Number.isFinite(number) ? { kind: 'number', value: number } : { kind: 'string', text: match[0] };
  }

  #space(): void {
    while (this.#at < this.#text.length && /\s/.test(this.#text[this.#at] as string)) this.#at++;
  }

  #take(token: string): boolean {
    this.#space();
    if (!this.#text.startsWith(token, this.#at)) return false;
    this.#at += token.length;
    return true;
  }

  #takeWord(word: string): boolean {
    this.#space();
    const next = this.#text.slice(this.#at, this.#at + word.length + 1);
    if (next.slice(0, word.length).toUpperCase() !== word || /[A-Za-z]/.test(next[word.length] ?? '')) return false;
    this.#at += word.length;
    return true;
  }

  #error(why: string) {
    return invalidPattern(this.#pattern, `${why} (at character ${this.#at + 2})`);
  }
}

function comparison(operator: Operator, value: PatternValue, needsNumber: () => Error): (selected: unknown) => boolean {
  if (value.kind === 'number') {
    const n = value.value;
    const test = { '=': (x: number) => x === n, '!=': (x: number) => x !== n, '<': (x: number) => x < n, '<=': (x: number) => x <= n, '>': (x: number) => x > n, '>=': (x: number) => x >= n }[operator];
    return (selected) => typeof selected === 'number' && test(selected);
  }
  if (operator !== '=' && operator !== '!=') throw needsNumber();
  const matches = value.kind === 'regex' ? (s: string) => value.regex.test(s) : wildcard(value.text);
  return operator === '=' ? (selected) => typeof selected === 'string' && matches(selected) : (selected) => typeof selected !== 'string' || !matches(selected);
}

/** `*` matches any run of characters; everything else itself. */
function wildcard(text: string): (s: string) => boolean {
  if (!text.includes('*')) return (s) => s === text;
  const regex = new RegExp(`^${text.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return (s) => regex.test(s);
}

function resolve(document: unknown, path: readonly Step[]): unknown {
  let value = document;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if ('index' in step) {
      if (!Array.isArray(value)) return undefined;
      value = value[step.index];
    } else {
      if (Array.isArray(value) || !Object.hasOwn(value, step.key)) return undefined;
      value = (value as Record<string, unknown>)[step.key];
    }
  }
  return value;
}
