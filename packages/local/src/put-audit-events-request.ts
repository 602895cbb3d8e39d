/**
 * Deserializes and validates a PutAuditEvents request the way an AWS (restJson1) service
 * does: a wrong content type is `UnsupportedMediaTypeException` (415, as in Smithy's restJson1
 * malformed-request protocol tests), unparseable or mistyped JSON is `SerializationException`,
 * and model constraint violations are one `ValidationException` listing them all
 * ("2 validation errors detected: Value ... at '...' failed to satisfy constraint: ...").
 * Members the model does not know are ignored, as AWS services do.
 */
import type { AuditEvent } from '@auditlake/core';
import { MAX_EVENTS_PER_REQUEST } from '@auditlake/core/internal';
import { AwsServiceError, parseJsonText } from './aws-error.js';
import { scanPutAuditEventsBody } from './event-data-literals.js';

export interface PutAuditEventsRequest {
  channelArn: string;
  externalId: string | undefined;
  auditEvents: AuditEvent[];
  /** Each event's `eventData` as a JSON string literal, the bytes of the body (see event-data-literals.ts). */
  eventDataLiterals: (Buffer | undefined)[];
}

const CHANNEL_ARN_PATTERN = /^arn:.*$/s;
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]*$/;
const UUID_PATTERN = /^[-_A-Za-z0-9]+$/;
/** Coral stops listing after this many; the count in the message stays exact. */
const MAX_LISTED_VIOLATIONS = 10;

export function parsePutAuditEventsRequest(query: ReadonlyMap<string, string>, body: Buffer, contentType: string | undefined): PutAuditEventsRequest {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new AwsServiceError(
      'UnsupportedMediaTypeException',
      contentType === undefined ? 'The request has no Content-Type; PutAuditEvents takes application/json.' : `Unsupported Content-Type '${contentType}'; PutAuditEvents takes application/json.`,
      415,
    );
  }
  const shape = scanPutAuditEventsBody(body);
  const json = parseJsonText(body.toString('utf8'), shape.depth);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new AwsServiceError('SerializationException', `Start of ${Array.isArray(json) ? 'list' : 'value'} found where a structure (PutAuditEventsRequest) was expected.`);
  }
  const input = json as Record<string, unknown>;
  const violations: string[] = [];

  const channelArn = query.get('channelArn');
  if (channelArn === undefined) violations.push(notNull('channelArn'));
  else if (!CHANNEL_ARN_PATTERN.test(channelArn)) violations.push(violation(channelArn, 'channelArn', `Member must satisfy regular expression pattern: ${CHANNEL_ARN_PATTERN.source}`));

  const externalId = query.get('externalId');
  if (externalId !== undefined) {
    if (externalId.length < 2) violations.push(violation(externalId, 'externalId', 'Member must have length greater than or equal to 2'));
    if (externalId.length > 1224) violations.push(violation(externalId, 'externalId', 'Member must have length less than or equal to 1224'));
    if (!EXTERNAL_ID_PATTERN.test(externalId)) violations.push(violation(externalId, 'externalId', `Member must satisfy regular expression pattern: ^[\\w+=,.@:\\/-]*$`));
  }

  const events = input.auditEvents;
  const auditEvents: AuditEvent[] = [];
  if (events === undefined || events === null) {
    violations.push(notNull('auditEvents'));
  } else if (!Array.isArray(events)) {
    throw new AwsServiceError('SerializationException', `Expected a list for auditEvents, found ${describe(events)}.`);
  } else {
    if (events.length < 1) violations.push(violation(events, 'auditEvents', 'Member must have length greater than or equal to 1'));
    if (events.length > MAX_EVENTS_PER_REQUEST) violations.push(violation(events, 'auditEvents', `Member must have length less than or equal to ${MAX_EVENTS_PER_REQUEST}`));
    for (const [index, item] of events.entries()) {
      const path = `auditEvents.${index + 1}.member`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new AwsServiceError('SerializationException', `Expected an AuditEvent structure at ${path}, found ${describe(item)}.`);
      }
      const event = item as Record<string, unknown>;
      for (const member of ['id', 'eventData', 'eventDataChecksum'] as const) {
        const value = event[member];
        if (value !== undefined && value !== null && typeof value !== 'string') {
          throw new AwsServiceError('SerializationException', `Expected a string for ${path}.${member}, found ${describe(value)}.`);
        }
      }
      const id = event.id as string | undefined | null;
      if (id === undefined || id === null) {
        violations.push(notNull(`${path}.id`));
      } else {
        if (id.length < 1) violations.push(violation(id, `${path}.id`, 'Member must have length greater than or equal to 1'));
        if (id.length > 128) violations.push(violation(id, `${path}.id`, 'Member must have length less than or equal to 128'));
        if (id.length > 0 && !UUID_PATTERN.test(id)) violations.push(violation(id, `${path}.id`, `Member must satisfy regular expression pattern: ${UUID_PATTERN.source}`));
      }
      const eventData = event.eventData as string | undefined | null;
      if (eventData === undefined || eventData === null) violations.push(notNull(`${path}.eventData`));
      const checksum = event.eventDataChecksum as string | undefined | null;
      auditEvents.push({
        id: id ?? '',
        eventData: eventData ?? '',
        ...(checksum === undefined || checksum === null ? {} : { eventDataChecksum: checksum }),
      });
    }
  }

  if (violations.length > 0) {
    const count = violations.length;
    throw new AwsServiceError(
      'ValidationException',
      `${count} validation error${count === 1 ? '' : 's'} detected: ${violations.slice(0, MAX_LISTED_VIOLATIONS).join('; ')}`,
    );
  }
  return { channelArn: channelArn as string, externalId, auditEvents, eventDataLiterals: shape.eventData };
}

function notNull(path: string): string {
  return `Value null at '${path}' failed to satisfy constraint: Member must not be null`;
}

function violation(value: unknown, path: string, constraint: string): string {
  return `Value '${Array.isArray(value) ? '[...]' : shorten(String(value))}' at '${path}' failed to satisfy constraint: ${constraint}`;
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a structure' : `a ${typeof value}`;
}

/**
 * The query string as a restJson1 service reads it: `+` is a plus sign (SDKs encode spaces as
 * `%20`), the first occurrence of a key wins.
 */
export function parseQueryString(url: string): Map<string, string> {
  const params = new Map<string, string>();
  const question = url.indexOf('?');
  if (question === -1) return params;
  for (const part of url.slice(question + 1).split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    if (!params.has(key)) params.set(key, decode(eq === -1 ? '' : part.slice(eq + 1)));
  }
  return params;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
