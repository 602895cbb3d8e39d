import { ConfigurationError } from './errors.js';

/** Where an option's value came from: the option itself, or the environment variable named. */
export interface Sourced<T = unknown> {
  value: T;
  /** The option's name, or the variable's. */
  name: string;
}

/** The option if given, else the first non-empty environment variable of `variables`. */
export function sourced(options: Record<string, unknown>, option: string, env: Readonly<Record<string, string | undefined>>, ...variables: string[]): Sourced {
  if (options[option] !== undefined) return { value: options[option], name: option };
  for (const variable of variables) {
    const value = emptyToUndefined(env[variable]);
    if (value !== undefined) return { value, name: variable };
  }
  return { value: undefined, name: option };
}

export function integer(name: string, value: unknown, min: number, max: number, rule?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(name, rule ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`), value);
  }
  return value;
}

export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0) throw new ConfigurationError(name, 'a non-empty string', value);
  return value;
}

export function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ConfigurationError(name, 'true or false', value);
  return value;
}

export function optionalFunction<T>(name: string, value: unknown, shape: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigurationError(name, shape, value);
  return value as T;
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

export function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The known name closest to `name` (a misspelt option), when one is close enough to be a likely intent. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
