/**
 * Member checks of the CloudWatch Logs operations, answered as the service answers them. A JSON
 * type the model cannot read is `SerializationException` at once; constraint failures are
 * collected and reported together as `InvalidParameterException` with the service's wording:
 * `1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member
 * must have length greater than or equal to 1` (list members 1-based:
 * `logEvents.1.member.message`), `N validation errors detected: …; …` for several.
 */
import { AwsServiceError } from '../aws-error.js';
import type { JsonInput } from '../aws-json-dispatch.js';

/** The model's string shapes used by the operations the lake implements. */
export const LOG_GROUP_NAME = { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/, patternText: '[\\.\\-_/#A-Za-z0-9]+' } as const;
export const LOG_STREAM_NAME = { min: 1, max: 512, pattern: /^[^:*]*$/, patternText: '[^:*]*' } as const;
export const LOG_GROUP_IDENTIFIER = { min: 1, max: 2048, pattern: /^[\w#+=/:,.@-]*$/, patternText: '[\\w#+=/:,.@-]*' } as const;
export const NEXT_TOKEN = { min: 1 } as const;
/** Constraint failures spelled out in one answer; the rest are counted. */
const MAX_LISTED = 20;

export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly patternText?: string;
}

export class Validation {
  readonly #errors: string[] = [];

  /** A string member; `undefined` when absent (or when it breaks a constraint, which is recorded). */
  string(input: JsonInput, member: string, rule: StringRule & { required?: boolean } = {}, path = member): string | undefined {
    const value = input[member];
    if (value === undefined || value === null) {
      if (rule.required) this.#fail(null, path, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') throw serialization(path, 'a string', value);
    const before = this.#errors.length;
    if (rule.min !== undefined && value.length < rule.min) this.#fail(value, path, `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value.length > rule.max) this.#fail(value, path, `Member must have length less than or equal to ${rule.max}`);
    if (rule.pattern !== undefined && !rule.pattern.test(value)) this.#fail(value, path, `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`);
    return this.#errors.length === before ? value : undefined;
  }

  /** An integer member (`integer` or `long` in the model). */
  integer(input: JsonInput, member: string, rule: { min?: number; max?: number; required?: boolean } = {}, path = member): number | undefined {
    const value = input[member];
    if (value === undefined || value === null) {
      if (rule.required) this.#fail(null, path, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(path, 'an integer', value);
    const before = this.#errors.length;
    if (rule.min !== undefined && value < rule.min) this.#fail(value, path, `Member must have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) this.#fail(value, path, `Member must have value less than or equal to ${rule.max}`);
    return this.#errors.length === before ? value : undefined;
  }

  boolean(input: JsonInput, member: string, rule: { required?: boolean } = {}): boolean | undefined {
    const value = input[member];
    if (value === undefined || value === null) {
      if (rule.required) this.#fail(null, member, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'boolean') throw serialization(member, 'a boolean', value);
    return value;
  }

  /** A list member, its items as given (check them with the `path` of each, 1-based). */
  list(input: JsonInput, member: string, rule: { min?: number; max?: number; required?: boolean } = {}): unknown[] | undefined {
    const value = input[member];
    if (value === undefined || value === null) {
      if (rule.required) this.#fail(null, member, 'Member must not be null');
      return undefined;
    }
    if (!Array.isArray(value)) throw serialization(member, 'a list', value);
    const before = this.#errors.length;
    const shown = value.length === 0 ? '[]' : `[… ${value.length} items]`;
    if (rule.min !== undefined && value.length < rule.min) this.#fail(shown, member, `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value.length > rule.max) this.#fail(shown, member, `Member must have length less than or equal to ${rule.max}`);
    return this.#errors.length === before ? value : undefined;
  }

  /** A structure member (or a list item). */
  structure(value: unknown, path: string): JsonInput | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw serialization(path, 'a structure', value);
    return value as JsonInput;
  }

  /** One of the model's enum values. */
  oneOf<T extends string>(input: JsonInput, member: string, values: readonly T[]): T | undefined {
    const value = this.string(input, member);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      this.#fail(value, member, `Member must satisfy enum value set: [${values.join(', ')}]`);
      return undefined;
    }
    return value as T;
  }

  /** Throws the collected constraint failures, if any, as one `InvalidParameterException`. */
  done(): void {
    const n = this.#errors.length;
    if (n === 0) return;
    // Ten thousand empty messages would make a megabyte of answer: the count stays exact.
    const listed = n > MAX_LISTED ? [...this.#errors.slice(0, MAX_LISTED), `… (${n - MAX_LISTED} more)`] : this.#errors;
    throw new AwsServiceError('InvalidParameterException', `${n} validation error${n === 1 ? '' : 's'} detected: ${listed.join('; ')}`);
  }

  /** Records a failed constraint found outside the member checks above. */
  fail(value: string | number | null, path: string, constraint: string): void {
    this.#fail(value, path, constraint);
  }

  #fail(value: string | number | null, path: string, constraint: string): void {
    const shown = value === null ? 'null' : `'${typeof value === 'string' && value.length > 256 ? `${value.slice(0, 256)}…` : String(value)}'`;
    this.#errors.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}

export function invalidParameter(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterException', message);
}

function serialization(path: string, expected: string, value: unknown): AwsServiceError {
  const actual = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a structure' : `the ${typeof value} ${JSON.stringify(value)}`;
  return new AwsServiceError('SerializationException', `${path} must be ${expected} (actual: ${actual.length > 80 ? `${actual.slice(0, 80)}…` : actual}).`);
}
