/**
 * Lone UTF-16 surrogates in JSON text. `JSON.stringify` writes a string cut inside an emoji as
 * an escaped lone surrogate (`"\ud83d"`); JavaScript and the service accept that, but DuckDB's
 * JSON reader refuses the whole document, which would leave every field of such an event NULL
 * in SQL. The lake shows each lone surrogate as U+FFFD (the replacement character, what a
 * UTF-8 decoder shows for a broken sequence), escaped or not; pairs are left alone.
 */

/** `\u` escapes of a surrogate, with the backslashes before them (an even count escapes the backslash instead). */
const SURROGATE_ESCAPE = /(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})/g;
const HIGH = /^[dD][89abAB]/;

/** Whether `text` may hold a surrogate escape (cheap pre-check; false positives are fine). */
export function mayHoldSurrogateEscape(text: string): boolean {
  return /\\u[dD][89a-fA-F]/.test(text);
}

/**
 * `text` (JSON, or a string that is itself JSON text) with every lone surrogate, raw or
 * escaped as `\uXXXX`, replaced by `\ufffd`. Escaped pairs (high then low) are kept.
 */
export function wellFormedJsonText(text: string): string {
  const raw = text.toWellFormed();
  if (!mayHoldSurrogateEscape(raw)) return raw;
  const matches = [...raw.matchAll(SURROGATE_ESCAPE)].filter((m) => (m[1] as string).length % 2 === 1);
  if (matches.length === 0) return raw;
  let out = '';
  let last = 0;
  for (let i = 0; i < matches.length; i++) {
    const match = matches[i] as RegExpExecArray;
    const code = match[2] as string;
    const start = (match.index ?? 0) + (match[1] as string).length - 1;
    const end = (match.index ?? 0) + match[0].length;
    if (HIGH.test(code)) {
      const next = matches[i + 1];
      if (next !== undefined && (next.index ?? 0) + (next[1] as string).length - 1 === end && !HIGH.test(next[2] as string)) {
        i++;
        continue;
      }
    }
    out += `${raw.slice(last, start)}\\ufffd`;
    last = end;
  }
  return out + raw.slice(last);
}
