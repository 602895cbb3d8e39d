/** `eventTime`: read from what loggers write, written as the schema wants it (`YYYY-MM-DDTHH:mm:ssZ`, UTC). */

let lastSecond = Number.NaN;
let lastSecondText = '';

/** `YYYY-MM-DDTHH:mm:ssZ` of an epoch-milliseconds time, cached per second (bursts share seconds). */
export function formatEventTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastSecond) {
    lastSecondText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastSecondText;
}

/** ISO-8601 date-times as loggers write them; a missing zone means UTC. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * The event time: `audit.eventTime` if given (normalized to UTC when it parses; left as given,
 * for the validator to name, when it does not), else the record's time, else now.
 */
export function eventTime(given: unknown, recordTime: Date | number | undefined, now: () => number): { text: unknown; ms: number } {
  if (given !== undefined && given !== null) {
    const ms = toEpochMs(given);
    return ms === undefined ? { text: given, ms: now() } : { text: formatEventTime(ms), ms };
  }
  const ms = toEpochMs(recordTime) ?? now();
  return { text: formatEventTime(ms), ms };
}

/** Epoch milliseconds of a `Date`, a number or an ISO-8601 text (read strictly); `undefined` for anything else. */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? value : undefined;
  if (value instanceof Date) return toEpochMs(value.getTime());
  return typeof value === 'string' ? parseIsoTime(value) : undefined;
}

/**
 * A strict reading: `Date.parse` rolls 2026-02-30 over to March 2 and 24:00 to the next day,
 * which would silently move an audit event in time; here such values do not parse.
 */
function parseIsoTime(text: string): number | undefined {
  const match = ISO_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const [sign, offsetHours, offsetMinutes] = [match[7], Number(match[8] ?? 0), Number(match[9] ?? 0)];
  const date = new Date(Date.UTC(2000, (month as number) - 1, day, hour, minute, second));
  date.setUTCFullYear(year as number);
  const exact =
    date.getUTCFullYear() === year && date.getUTCMonth() === (month as number) - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second && offsetHours <= 23 && offsetMinutes <= 59;
  if (!exact) return undefined;
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (sign === '-' ? -offsetMs : sign === '+' ? offsetMs : 0);
}
