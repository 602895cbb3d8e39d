/**
 * Where a field absent from `audit` is taken from: the OpenTelemetry semantic-convention
 * attributes (flat `user.id` or nested `user: { id }`), and how given values read as text.
 *
 * Texts are made well-formed (lone surrogates replaced by U+FFFD) unless `asGiven` is set: then
 * they are returned as given, and the caller checks the serialized text once instead (the
 * sink's encoder, see `mayHoldLoneSurrogate`), which saves a call per text.
 */
import { wellFormed } from './serialize.js';

// The attributes the fallbacks read, split once.
export const USER_ID = ['user.id', 'user', 'id'] as const;
export const ENDUSER_ID = ['enduser.id', 'enduser', 'id'] as const;
export const USER_AGENT = ['user_agent.original', 'user_agent', 'original'] as const;
export const EVENT_NAME = ['event.name', 'event', 'name'] as const;
export const SERVICE_NAME = ['service.name', 'service', 'name'] as const;
export const ERROR_TYPE = ['error.type', 'error', 'type'] as const;
export const EXCEPTION_MESSAGE = ['exception.message', 'exception', 'message'] as const;
export const CLIENT_ADDRESS = ['client.address', 'client', 'address'] as const;

/** A fallback attribute, flat (`user.id`) or nested (`user: { id }`), as a string. */
export function attribute(source: Record<string, unknown> | undefined, [flat, parent, child]: readonly [string, string, string], asGiven = false): string | undefined {
  if (source === undefined || source === null) return undefined;
  const direct = scalar(source[flat], asGiven);
  if (direct !== undefined) return direct;
  const group = source[parent];
  return group !== null && typeof group === 'object' ? scalar((group as Record<string, unknown>)[child], asGiven) : undefined;
}

/** A string from a scalar (numbers, booleans and bigints are written out); anything else is `undefined`. */
export function scalar(value: unknown, asGiven = false): string | undefined {
  switch (typeof value) {
    case 'string':
      return asGiven ? value : wellFormed(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}

/**
 * A field given in `audit`: scalars become strings; `null`/`undefined` mean absent (so the
 * fallbacks apply); objects and arrays stay as they are, for the validator to reject.
 */
export function text(value: unknown, asGiven = false): unknown {
  if (value === undefined || value === null) return undefined;
  return scalar(value, asGiven) ?? value;
}

/** `userIdentity.principalId` when not given: attribute `user.id`, then `enduser.id`. */
export function principalIdOf(attributes: Record<string, unknown>, asGiven = false): string | undefined {
  return attribute(attributes, USER_ID, asGiven) ?? attribute(attributes, ENDUSER_ID, asGiven);
}
