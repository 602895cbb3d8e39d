/**
 * Member checks shared by the control-plane operations: a wrong JSON type is
 * `SerializationException`, a value outside the model's constraints the named error (most
 * often `InvalidParameterException`), as the CloudTrail service answers.
 */
import { AwsServiceError } from '../aws-error.js';
import type { Tag } from '../catalog.js';
import type { Input } from './context.js';

const NAME = /^[a-zA-Z0-9._-]+$/;
export const ARN_CHARS = /^[a-zA-Z0-9._/\-:]+$/;

export function checkName(name: string, member: string): void {
  if (name.length < 3 || name.length > 128 || !NAME.test(name)) {
    throw new AwsServiceError('InvalidParameterException', `${member} must be 3 to 128 characters of letters, digits, '.', '_' and '-' (actual: ${name}).`);
  }
}

export function tagList(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 200) throw new AwsServiceError('InvalidTagParameterException', 'Tags must be a list of at most 200 {Key, Value}.');
  return value.map((tag: unknown, i) => {
    const t = object(tag, `Tags[${i}]`);
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw new AwsServiceError('InvalidTagParameterException', `Tags[${i}].Key must be 1 to 128 characters.`);
    if (t.Value !== undefined && t.Value !== null && (typeof t.Value !== 'string' || t.Value.length < 1 || t.Value.length > 256)) {
      throw new AwsServiceError('InvalidTagParameterException', `Tags[${i}].Value must be 1 to 256 characters.`);
    }
    return typeof t.Value === 'string' ? { Key: t.Key, Value: t.Value } : { Key: t.Key };
  });
}

export function object(value: unknown, where: string): Input {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AwsServiceError('SerializationException', `${where} must be a structure.`);
  return value as Input;
}

export function string(input: Input, member: string, limits: { max?: number } = {}): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `${member} must be a string.`);
  if (value.length === 0 || (limits.max !== undefined && value.length > limits.max)) {
    throw new AwsServiceError('InvalidParameterException', `${member} must be 1 to ${limits.max ?? 'any number of'} characters.`);
  }
  return value;
}

export function required(input: Input, member: string, code = 'InvalidParameterException'): string {
  const value = string(input, member);
  if (value === undefined) throw new AwsServiceError(code, `${member} is required.`);
  return value;
}

export function integer(input: Input, member: string, min: number, max: number, code: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsServiceError('SerializationException', `${member} must be an integer.`);
  if (value < min || value > max) throw new AwsServiceError(code, `${member} must be from ${min} to ${max} (actual: ${value}).`);
  return value;
}

export function boolean(input: Input, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsServiceError('SerializationException', `${member} must be a boolean.`);
  return value;
}

/** awsJson1_1 timestamps arrive as epoch seconds (numbers); ISO text is accepted too. */
export function timestamp(input: Input, member: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsServiceError('SerializationException', `${member} must be a timestamp.`);
}

/** Timestamps go out as epoch seconds, which is what awsJson1_1 clients (botocore, the JS SDK) read. */
export function seconds(ms: number): number {
  return ms / 1000;
}

export function omitUndefined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
