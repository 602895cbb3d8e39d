import { isIP } from 'node:net';
import type { FieldBytes } from './audit-event.js';
import { EVENT_ID_PATTERN } from './destinations/cloudtrail-lake/limits.js';
import {
  ACCOUNT_ID_PATTERN,
  EVENT_DATA_FIELDS,
  EVENT_TIME_PATTERN,
  isJsonObject,
  USER_IDENTITY_FIELDS,
  type FieldRule,
} from './schema.js';
import { describeValue } from './errors.js';
import { utf8Bytes } from './serialize.js';

/** Why an event breaks the schema, with the per-event code the service itself would return. */
export interface EventDataViolation {
  code: 'FieldNotFound' | 'FieldTooLong' | 'InvalidData' | 'InvalidRecipient';
  /** The offending field, e.g. `eventData.userIdentity.principalId`. */
  field: string;
  message: string;
}

export interface ValidateEventDataOptions {
  /** The channel owner's account: `recipientAccountId` must equal it (`InvalidRecipient`). */
  recipientAccountId?: string;
  /** `recipientAccountId` may be absent (CloudWatch Logs has no channel owner); when present it is still checked. @default false */
  recipientOptional?: boolean;
  /** Sizes of the capped fields when already measured (or bounds of them, see `FieldBytes`). */
  fieldBytes?: FieldBytes;
  /**
   * Length (JavaScript `length`) of the serialized `eventData`, when known. At most 3 UTF-8
   * bytes per code unit, it bounds every field: a cap it cannot reach is not measured.
   */
  eventDataLength?: number;
  /** UTF-8 size of the serialized `eventData` (or an upper bound of it), when known: a cap it cannot reach is not measured. */
  eventDataBytes?: number;
}

/**
 * Checks `eventData` against every rule of the integration event schema: known fields only,
 * required fields, types, maximum lengths, the 100 kB and 28 kB caps in UTF-8 bytes, the
 * `eventTime` format, the account id and the source IP. Returns the first violation, or
 * `undefined` when the event is valid.
 */
export function validateEventData(eventData: unknown, options: ValidateEventDataOptions = {}): EventDataViolation | undefined {
  if (!isJsonObject(eventData)) return violation('InvalidData', 'eventData', `eventData must be a JSON object (actual: ${describeValue(eventData)})`);
  const bound = Math.min(options.eventDataLength === undefined ? Infinity : options.eventDataLength * 3, options.eventDataBytes ?? Infinity);
  const rules = options.recipientOptional ? EVENT_DATA_RULES_RECIPIENT_OPTIONAL : EVENT_DATA_RULES;
  const identity = eventData.userIdentity as Record<string, unknown>;
  const fast = validInOrder(eventData, rules, options.fieldBytes, bound) && isJsonObject(identity) && validInOrder(identity, USER_IDENTITY_RULES, undefined, bound);
  const violated = fast
    ? undefined
    : (unknownField(eventData, EVENT_DATA_RULES, 'eventData') ??
      checkFields(eventData, rules, options.fieldBytes, bound) ??
      unknownField(identity, USER_IDENTITY_RULES, 'eventData.userIdentity') ??
      checkFields(identity, USER_IDENTITY_RULES, undefined, bound));
  if (violated) return violated;

  const time = eventData.eventTime as string;
  if (!isEventTime(time)) {
    return violation('InvalidData', 'eventData.eventTime', `eventData.eventTime must be a UTC time "YYYY-MM-DDTHH:mm:ssZ" (actual: ${describeValue(time)})`);
  }
  const account = eventData.recipientAccountId as string;
  if (!isAccountId(account) && !(account === undefined && options.recipientOptional)) {
    return violation('InvalidData', 'eventData.recipientAccountId', `eventData.recipientAccountId must be a 12-digit AWS account id (actual: ${describeValue(account)})`);
  }
  if (options.recipientAccountId !== undefined && account !== options.recipientAccountId) {
    return violation('InvalidRecipient', 'eventData.recipientAccountId', `eventData.recipientAccountId ${account} is not the account that owns the channel (${options.recipientAccountId})`);
  }
  const address = eventData.sourceIPAddress;
  if (typeof address === 'string' && !isIpAddress(address)) {
    return violation('InvalidData', 'eventData.sourceIPAddress', `eventData.sourceIPAddress must be an IPv4 or IPv6 address (actual: ${describeValue(address)})`);
  }
  return undefined;
}

// A sink sends many events from one account and few addresses: the last valid one is remembered.
let lastValidAccount = '';
let lastValidAddress = '';

function isAccountId(account: unknown): boolean {
  if (account === lastValidAccount) return true;
  if (typeof account !== 'string' || !ACCOUNT_ID_PATTERN.test(account)) return false;
  lastValidAccount = account;
  return true;
}

function isIpAddress(address: string): boolean {
  if (address === lastValidAddress) return true;
  if (isIP(address) === 0) return false;
  lastValidAddress = address;
  return true;
}

let lastValidTime = '';

/** Whether `text` is a valid `eventTime`: the pattern, and a real calendar time. */
export function isEventTime(text: string): boolean {
  // Events of one burst share their second: remember the last valid one.
  if (text === lastValidTime) return true;
  const match = EVENT_TIME_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const valid =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  if (valid) lastValidTime = text;
  return valid;
}

/** Why an `AuditEvent` entry breaks the request model (`id`, `eventData`, `eventDataChecksum`). */
export function validateAuditEventEntry(event: unknown): string | undefined {
  if (!isJsonObject(event)) return `an audit event must be an object with id and eventData (actual: ${describeValue(event)})`;
  if (typeof event.id !== 'string' || !EVENT_ID_PATTERN.test(event.id)) {
    return `id must be 1-128 characters of [-_A-Za-z0-9] (actual: ${describeValue(event.id)})`;
  }
  if (typeof event.eventData !== 'string') return `eventData of ${event.id} must be a string (actual: ${describeValue(event.eventData)})`;
  if (event.eventDataChecksum !== undefined && typeof event.eventDataChecksum !== 'string') {
    return `eventDataChecksum of ${event.id} must be a string (actual: ${describeValue(event.eventDataChecksum)})`;
  }
  for (const key of Object.keys(event)) {
    if (key !== 'id' && key !== 'eventData' && key !== 'eventDataChecksum') return `${key} is not a member of AuditEvent`;
  }
  return undefined;
}

function unknownField(object: Record<string, unknown>, rules: readonly CompiledRule[], prefix: string): EventDataViolation | undefined {
  // Runs only when `validInOrder` did not pass the object, so no shortcut for schema order here.
  for (const key of Object.keys(object)) {
    if (!rules.some((rule) => rule.name === key)) {
      return violation('InvalidData', `${prefix}.${key}`, `${prefix}.${key} is not a field of the CloudTrail Lake integration event schema`);
    }
  }
  return undefined;
}

/** A rule with every member present, so that reading rules stays monomorphic. */
interface CompiledRule {
  readonly name: string;
  /** The field's full name, as violations name it. */
  readonly field: string;
  readonly type: FieldRule['type'];
  readonly required: boolean;
  readonly maxLength: number | undefined;
  readonly maxBytes: number | undefined;
}

const compile = (rules: Readonly<Record<string, FieldRule>>, prefix: string): readonly CompiledRule[] =>
  Object.entries(rules).map(([name, rule]) => ({ name, field: `${prefix}.${name}`, type: rule.type, required: rule.required === true, maxLength: rule.maxLength, maxBytes: rule.maxBytes }));
const EVENT_DATA_RULES = compile(EVENT_DATA_FIELDS, 'eventData');
const USER_IDENTITY_RULES = compile(USER_IDENTITY_FIELDS, 'eventData.userIdentity');
const EVENT_DATA_RULES_RECIPIENT_OPTIONAL = EVENT_DATA_RULES.map((rule) => (rule.name === 'recipientAccountId' ? { ...rule, required: false } : rule));

function checkFields(object: Record<string, unknown>, rules: readonly CompiledRule[], fieldBytes: FieldBytes | undefined, bound: number): EventDataViolation | undefined {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    const violated = checkField(rule, object[rule.name], fieldBytes, bound);
    if (violated) return violated;
  }
  return undefined;
}

/**
 * Whether an object whose keys are all fields, in the rules' order (as the mapper writes them),
 * breaks no rule: its values read in one for-in pass, which V8 makes as fast as reading a field,
 * where a read by each rule's name is a lookup. `false` also when the keys are not so: then the
 * full checks run, and name the first violation.
 */
function validInOrder(object: Record<string, unknown>, rules: readonly CompiledRule[], fieldBytes: FieldBytes | undefined, bound: number): boolean {
  let index = 0;
  for (const key in object) {
    while (index < rules.length && (rules[index] as CompiledRule).name !== key) {
      if ((rules[index] as CompiledRule).required) return false;
      index++;
    }
    if (index === rules.length || checkField(rules[index] as CompiledRule, object[key], fieldBytes, bound) !== undefined) return false;
    index++;
  }
  for (; index < rules.length; index++) if ((rules[index] as CompiledRule).required) return false;
  return true;
}

function checkField(rule: CompiledRule, value: unknown, fieldBytes: FieldBytes | undefined, bound: number): EventDataViolation | undefined {
  const { field } = rule;
  if (value === undefined || value === null) return rule.required ? violation('FieldNotFound', field, `${field} is required`) : undefined;
  if (rule.type === 'string') {
    if (typeof value !== 'string') return violation('InvalidData', field, `${field} must be a string (actual: ${describeValue(value)})`);
    if (rule.required && isBlank(value)) return violation('InvalidData', field, `${field} must not be empty`);
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      return violation('FieldTooLong', field, `${field} is ${value.length} characters; at most ${rule.maxLength} are allowed`);
    }
    return undefined;
  }
  if (!isJsonObject(value)) return violation('InvalidData', field, `${field} must be a JSON object (actual: ${describeValue(value)})`);
  if (rule.maxBytes !== undefined && bound > rule.maxBytes) {
    const bytes = fieldBytes?.[rule.name as keyof FieldBytes] ?? jsonBytes(value);
    if (bytes === undefined) return violation('InvalidData', field, `${field} cannot be serialized as JSON`);
    if (bytes > rule.maxBytes) return violation('FieldTooLong', field, `${field} is ${bytes} bytes as UTF-8 JSON; at most ${rule.maxBytes} are allowed`);
  }
  return undefined;
}

/**
 * Whether a text is empty or only white space. Only a text that starts with a control
 * character, a space or a character from U+00A0 on can be blank (every character `trim` removes
 * is one of those), so most texts are settled by their first character, without a `trim`.
 */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  return (first <= 0x20 || first >= 0xa0) && text.trim().length === 0;
}

function violation(code: EventDataViolation['code'], field: string, message: string): EventDataViolation {
  return { code, field, message };
}

/** Serialized size of a value, or `undefined` when it cannot be serialized (cycles, bigints). */
function jsonBytes(value: unknown): number | undefined {
  try {
    return utf8Bytes(JSON.stringify(value));
  } catch {
    return undefined;
  }
}
