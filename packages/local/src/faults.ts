/**
 * Fault injection for the data plane (PutAuditEvents, and CloudWatch Logs' PutLogEvents): the
 * failures a real client must survive, on demand, each in the words of the API it hits.
 * Each kind fires with its `rate`, at most `count` times when a count is given (so a test can
 * script "the first two requests are throttled" with `{ rate: 1, count: 2 }`).
 */

interface Rule {
  /** Probability, 0–1, that the fault fires on a request (or, for the event kinds, on an event). */
  rate: number;
  /** Fire at most this many times, then never again (until `setFaults`). @default unlimited */
  count?: number;
}

/** The faults to inject; any kind left out is off. */
export interface FaultSpec {
  /** HTTP 429 `ThrottlingException`, with `Retry-After: retryAfterSeconds` when given. */
  throttle?: Rule & { retryAfterSeconds?: number };
  /** HTTP 500 `InternalFailure`, or 503 `ServiceUnavailable` with `statusCode: 503`. */
  serverError?: Rule & { statusCode?: 500 | 503 };
  /** Delay before the request is handled. */
  latency?: Rule & { delayMs: number };
  /** The connection is destroyed before the request is processed: nothing is stored. */
  reset?: Rule;
  /** The events are stored durably, then the connection is destroyed: the client never learns (at-least-once). */
  resetAfterStore?: Rule;
  /** A valid event is answered in `failed[]` with `Throttling` instead of being stored. */
  eventThrottle?: Rule;
  /** A valid event is answered in `failed[]` with `InternalFailure` instead of being stored. */
  eventInternalFailure?: Rule;
  /**
   * A valid event is refused for good and not stored: in PutAuditEvents' `failed[]` with
   * `InvalidData`; in PutLogEvents as expired (`expiredLogEventEndIndex`), where rejections are
   * a run from the start of the request, so the run ends at the first event the draw spares.
   */
  eventRejected?: Rule;
  /** Seed of the random draws, for reproducible runs. @default unseeded (Math.random) */
  seed?: number;
}

export type FaultKind = Exclude<keyof FaultSpec, 'seed'>;

export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'serverError', 'latency', 'reset', 'resetAfterStore', 'eventThrottle', 'eventInternalFailure', 'eventRejected'];

/** Kinds whose text form takes a `value@` prefix, and what the value is. */
const VALUE_OF: Partial<Record<FaultKind, string>> = { throttle: 'retryAfterSeconds', serverError: 'statusCode', latency: 'delayMs' };

/**
 * Parses the text syntax `kind=[value@]rate[xcount]`, comma-separated, plus `seed=<n>`:
 * `throttle=0.2,serverError=503@0.1,latency=200@0.5,eventThrottle=0.1,reset=0.02,throttle=1x2`.
 * Given an object, checks it and returns a normalized copy. Throws on anything malformed.
 */
export function parseFaultSpec(input: string | FaultSpec): FaultSpec {
  if (typeof input !== 'string') return checkSpec(input);
  const spec: Record<string, unknown> = {};
  for (const raw of input.split(',')) {
    const item = raw.trim();
    if (item.length === 0) continue;
    const match = /^([A-Za-z]+)=(.+)$/.exec(item);
    if (!match) throw new Error(`fault "${item}" is not kind=[value@]rate[xcount]`);
    const [, kind, text] = match as unknown as [string, string, string];
    if (kind === 'seed') {
      spec.seed = number(text, `seed in "${item}"`);
      continue;
    }
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown fault kind "${kind}" (kinds: ${FAULT_KINDS.join(', ')}, seed)`);
    const ruleMatch = /^(?:([^@]+)@)?([^x]+)(?:x(\d+))?$/.exec(text);
    if (!ruleMatch) throw new Error(`fault "${item}" is not kind=[value@]rate[xcount]`);
    const [, value, rate, count] = ruleMatch;
    const rule: Record<string, unknown> = { rate: number(rate as string, `rate in "${item}"`) };
    if (count !== undefined) rule.count = number(count, `count in "${item}"`);
    const valueName = VALUE_OF[kind as FaultKind];
    if (value !== undefined) {
      if (valueName === undefined) throw new Error(`fault "${kind}" takes no value (given "${value}@")`);
      rule[valueName] = number(value, `${valueName} in "${item}"`);
    }
    spec[kind] = rule;
  }
  return checkSpec(spec);
}

function number(text: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`${what} is not a number: "${text}"`);
  return value;
}

function checkSpec(spec: FaultSpec): FaultSpec {
  if (spec === null || typeof spec !== 'object') throw new Error('faults must be an object or a text spec');
  const out: FaultSpec = {};
  for (const key of Object.keys(spec)) {
    if (key !== 'seed' && !(FAULT_KINDS as readonly string[]).includes(key)) throw new Error(`unknown fault kind "${key}" (kinds: ${FAULT_KINDS.join(', ')}, seed)`);
  }
  if (spec.seed !== undefined) {
    if (!Number.isInteger(spec.seed)) throw new Error(`seed must be an integer (actual: ${String(spec.seed)})`);
    out.seed = spec.seed;
  }
  for (const kind of FAULT_KINDS) {
    const rule = spec[kind] as (Rule & Record<string, unknown>) | undefined;
    if (rule === undefined) continue;
    if (rule === null || typeof rule !== 'object') throw new Error(`${kind} must be an object with a rate`);
    if (typeof rule.rate !== 'number' || !(rule.rate >= 0 && rule.rate <= 1)) throw new Error(`${kind}.rate must be a number from 0 to 1 (actual: ${String(rule.rate)})`);
    if (rule.count !== undefined && (!Number.isInteger(rule.count) || rule.count < 0)) throw new Error(`${kind}.count must be an integer >= 0 (actual: ${String(rule.count)})`);
    if (kind === 'latency' && (typeof rule.delayMs !== 'number' || !Number.isInteger(rule.delayMs) || rule.delayMs < 0 || rule.delayMs > 600_000)) {
      throw new Error(`latency.delayMs must be an integer from 0 to 600000 (actual: ${String(rule.delayMs)}); in text: latency=<ms>@<rate>`);
    }
    if (kind === 'throttle' && rule.retryAfterSeconds !== undefined && (!Number.isInteger(rule.retryAfterSeconds) || (rule.retryAfterSeconds as number) < 0)) {
      throw new Error(`throttle.retryAfterSeconds must be an integer >= 0 (actual: ${String(rule.retryAfterSeconds)})`);
    }
    if (kind === 'serverError' && rule.statusCode !== undefined && rule.statusCode !== 500 && rule.statusCode !== 503) {
      throw new Error(`serverError.statusCode must be 500 or 503 (actual: ${String(rule.statusCode)})`);
    }
    (out as Record<string, unknown>)[kind] = { ...rule };
  }
  return out;
}

/** The text form of a spec, for banners and logs. */
export function formatFaultSpec(spec: FaultSpec | undefined): string {
  if (!spec) return 'off';
  const parts: string[] = [];
  for (const kind of FAULT_KINDS) {
    const rule = spec[kind] as (Rule & Record<string, number | undefined>) | undefined;
    if (!rule) continue;
    const valueName = VALUE_OF[kind];
    const value = valueName !== undefined && rule[valueName] !== undefined ? `${rule[valueName]}@` : '';
    parts.push(`${kind}=${value}${rule.rate}${rule.count !== undefined ? `x${rule.count}` : ''}`);
  }
  if (spec.seed !== undefined) parts.push(`seed=${spec.seed}`);
  return parts.length > 0 ? parts.join(',') : 'off';
}

/** Draws faults for requests and events. Replace its spec with `set` (counters start again). */
export class FaultInjector {
  #spec: FaultSpec = {};
  #fired = new Map<FaultKind, number>();
  #random: () => number = Math.random;

  constructor(spec?: FaultSpec) {
    this.set(spec);
  }

  set(spec: FaultSpec | string | undefined): void {
    this.#spec = spec === undefined ? {} : parseFaultSpec(spec);
    this.#fired = new Map();
    this.#random = this.#spec.seed === undefined ? Math.random : mulberry32(this.#spec.seed);
  }

  get spec(): FaultSpec {
    return this.#spec;
  }

  get active(): boolean {
    return FAULT_KINDS.some((kind) => this.#spec[kind] !== undefined);
  }

  /** How many times a kind has fired since the spec was set. */
  fired(kind: FaultKind): number {
    return this.#fired.get(kind) ?? 0;
  }

  /** The rule of `kind` when it fires now, else undefined. */
  draw<K extends FaultKind>(kind: K): NonNullable<FaultSpec[K]> | undefined {
    const rule = this.#spec[kind];
    if (!rule || rule.rate <= 0) return undefined;
    const fired = this.#fired.get(kind) ?? 0;
    if (rule.count !== undefined && fired >= rule.count) return undefined;
    if (rule.rate < 1 && this.#random() >= rule.rate) return undefined;
    this.#fired.set(kind, fired + 1);
    return rule;
  }
}

/** A small, well-known seeded PRNG; reproducibility matters here, not quality. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
