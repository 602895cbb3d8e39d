import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../src/json-shape.js';

// A repeated key means different things to different readers (JSON.parse keeps the last value,
// DuckDB the first). These texts hide one behind escapes, colons in strings and nesting.

const problem = (text: string) => {
  const parsed = parseStrictJson(text);
  return 'problem' in parsed ? parsed.problem : undefined;
};

describe('parseStrictJson', () => {
  it('accepts unique keys, colons in keys and values, and escaped characters', () => {
    for (const text of ['{}', '[]', '"a:b"', '{"a":1,"b":{"c":[1,{"d":"x:y:z"}]}}', '{"a:b":"c:d","e":"\\u0041\\":"}', '{"t":"12:00:00","u":"\\\\u003a"}', '{"a":"\\u003a","b":1}']) {
      expect({ text, problem: problem(text) }).toEqual({ text, problem: undefined });
    }
  });

  it('finds a repeated key wherever it is, however the colons elsewhere are arranged', () => {
    const cases: [string, string][] = [
      ['{"a":1,"a":2}', '"a" twice in $'],
      ['{"a":1,"b":{"c":1,"c":":"}}', '"c" twice in $.b'],
      // The dropped value's colon and an escaped colon would balance a count of parsed strings.
      ['{"a":"\\u003a","b":1,"b":2}', '"b" twice in $'],
      ['{"x":"\\u003A\\u003a","k":{"n":1},"k":{"n":2}}', '"k" twice in $'],
      ['[{"a":1},{"b":1,"b":1}]', '"b" twice in $[1]'],
      ['{"a":{"b":1,"c":2},"a":3}', '"a" twice in $'],
    ];
    for (const [text, where] of cases) expect(problem(text)).toContain(where);
  });

  it('refuses nesting deeper than the limit, also far beyond what a recursive reader survives', () => {
    expect(problem('['.repeat(64) + ']'.repeat(64))).toBeUndefined();
    expect(problem('['.repeat(65) + ']'.repeat(65))).toBe('nests deeper than 64 levels');
    expect(problem('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000))).toBe('nests deeper than 64 levels');
    expect(problem('{"a":1')).toMatch(/^is not valid JSON/);
  });
});
