/**
 * Command-line flags declared once: parsing (flag, then its `AUDITLAKE_*` environment
 * variable, then the default), validation with messages that name the flag or variable, and
 * the help text, so that the three never disagree.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './cli-io.js';

export interface FlagSpec {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  /** Integer bounds. */
  min?: number;
  max?: number;
  /** Placeholder in the help, e.g. `<n>`. */
  value?: string;
  short?: string;
  help: string;
}

export type FlagValue = string | number | boolean | undefined;

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  positionals: string[];
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[], env: Readonly<Record<string, string | undefined>>, maxPositionals: number): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of specs) options[spec.name] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.short === undefined ? {} : { short: spec.short }) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals] as string}"`);
  const values: Record<string, FlagValue> = { help: parsed.values.help === true };
  for (const spec of specs) {
    const given = parsed.values[spec.name];
    if (given !== undefined) values[spec.name] = convert(spec, given, `--${spec.name}`);
    else if (spec.env !== undefined && env[spec.env] !== undefined) values[spec.name] = convert(spec, env[spec.env] as string, spec.env);
  }
  return { values, positionals: parsed.positionals };
}

function convert(spec: FlagSpec, raw: string | boolean, source: string): FlagValue {
  if (typeof raw === 'boolean') return raw;
  if (spec.type === 'boolean') {
    const lower = raw.trim().toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    throw new UsageError(`${source} must be 1/true/yes/on or 0/false/no/off (actual: "${raw}")`);
  }
  if (spec.type === 'integer') {
    const min = spec.min ?? 0;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) throw new UsageError(`${source} must be an integer from ${min} to ${max} (actual: "${raw}")`);
    return value;
  }
  return raw;
}

/** The flags as help lines: `--name <value>  help (env VAR)`. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((spec) => `--${spec.name}${spec.value === undefined ? '' : ` ${spec.value}`}`);
  const width = Math.max(...left.map((text) => text.length));
  return specs.map((spec, i) => `  ${(left[i] as string).padEnd(width)}  ${spec.help}${spec.env === undefined ? '' : ` [${spec.env}]`}`).join('\n');
}
