/**
 * PutAuditEvents: request-level checks in the service's order (model, channel, permission,
 * duplicate ids), then each event on its own (checksum, JSON, the integration schema through
 * core's validator), then one durable append of the accepted events. The answer lists every
 * event once, in `successful` or in `failed`.
 */
import { randomUUID } from 'node:crypto';
import { validateEventData } from '@auditlake/core';
import { eventDataChecksum, MAX_ERROR_MESSAGE_LENGTH, parseChannelArn } from '@auditlake/core/internal';
import { AwsServiceError } from './aws-error.js';
import type { FaultInjector } from './faults.js';
import type { LakeStore } from './lake-store.js';
import { parseStrictJson } from './json-shape.js';
import { parsePutAuditEventsRequest } from './put-audit-events-request.js';
import { checkChannelAccess } from './resource-policy.js';
import { isoTime, STORED_EVENT_VERSION, type NewRecord } from './stored-event.js';

export interface PutAuditEventsResponse {
  successful: { id: string; eventID: string }[];
  failed: { id: string; errorCode: string; errorMessage: string }[];
}

export interface PutAuditEventsContext {
  store: LakeStore;
  faults: FaultInjector;
  now: () => number;
  region: string;
}

export interface PutAuditEventsCall {
  query: ReadonlyMap<string, string>;
  body: Buffer;
  contentType: string | undefined;
  /** The caller's account (from its key in strict mode; the owner otherwise). */
  callerAccountId: string;
}

export async function putAuditEvents(context: PutAuditEventsContext, call: PutAuditEventsCall): Promise<PutAuditEventsResponse> {
  const request = parsePutAuditEventsRequest(call.query, call.body, call.contentType);
  const { store } = context;
  const arn = parseChannelArn(request.channelArn);
  if (!arn) throw new AwsServiceError('InvalidChannelARN', `The specified channel ARN is not a valid channel ARN: ${request.channelArn}`);
  const channel = store.catalog.findChannel(arn.channelId);
  if (!channel || arn.region !== store.catalog.region || arn.partition !== 'aws') {
    throw new AwsServiceError('ChannelNotFound', `The channel could not be found: ${request.channelArn}`);
  }
  if (arn.accountId !== store.catalog.accountId) {
    throw new AwsServiceError(
      'ChannelInsufficientPermission',
      `The channel ${channel.id} is owned by account ${store.catalog.accountId}, not ${arn.accountId}; the caller's account ID must be the same as the channel owner's account ID.`,
    );
  }
  const denied = checkChannelAccess(store.catalog.grants(channel), store.catalog.accountId, call.callerAccountId, request.externalId);
  if (denied !== undefined) throw new AwsServiceError('ChannelInsufficientPermission', denied);

  const seen = new Set<string>();
  for (const event of request.auditEvents) {
    if (seen.has(event.id)) throw new AwsServiceError('DuplicatedAuditEventId', `Two or more entries in the request have the same event ID: ${event.id}`);
    seen.add(event.id);
  }

  const now = context.now();
  const time = isoTime(now);
  const response: PutAuditEventsResponse = { successful: [], failed: [] };
  const records: NewRecord[] = [];
  const status = store.ingestionStatus(channel);
  for (const [index, event] of request.auditEvents.entries()) {
    const checked = checkEvent(event.eventData, event.eventDataChecksum, store.catalog.accountId);
    if ('code' in checked) {
      response.failed.push({ id: event.id, errorCode: checked.code, errorMessage: truncate(checked.message) });
      status.latestErrorCode = checked.code;
      continue;
    }
    if (context.faults.draw('eventThrottle')) {
      response.failed.push({ id: event.id, errorCode: 'Throttling', errorMessage: 'The event was throttled (injected fault); send it again.' });
      continue;
    }
    if (context.faults.draw('eventInternalFailure')) {
      response.failed.push({ id: event.id, errorCode: 'InternalFailure', errorMessage: 'The event could not be stored (injected fault); send it again.' });
      continue;
    }
    if (context.faults.draw('eventRejected')) {
      response.failed.push({ id: event.id, errorCode: 'InvalidData', errorMessage: 'The event was refused (injected fault); it is not taken if sent again.' });
      continue;
    }
    const eventID = randomUUID();
    records.push({
      eventVersion: STORED_EVENT_VERSION,
      eventCategory: 'ActivityAuditLog',
      eventType: 'ActivityLog',
      eventID,
      eventTime: time,
      awsRegion: context.region,
      recipientAccountId: checked.recipientAccountId,
      metadata: { ingestionTime: time, channelARN: channel.arn },
      id: event.id,
      eventData: event.eventData,
      eventDataJson: request.eventDataLiterals[index],
    });
    response.successful.push({ id: event.id, eventID });
  }
  status.latestAttemptTime = now;
  const last = records.at(-1);
  if (last) status.latestAttemptEventID = last.eventID;

  try {
    await store.ingest(channel, records);
  } catch (error) {
    // The event log reported the cause (once); the client may send the same events again.
    status.latestErrorCode = 'InternalFailure';
    throw new AwsServiceError('InternalFailure', `The events could not be stored: ${(error as Error).message}`, 500);
  }
  if (last) {
    status.latestSuccessTime = now;
    status.latestSuccessEventID = last.eventID;
  }
  return response;
}

function checkEvent(eventData: string, checksum: string | undefined, owner: string): { code: string; message: string } | { recipientAccountId: string } {
  if (checksum !== undefined && checksum !== eventDataChecksum(eventData)) {
    return { code: 'InvalidChecksum', message: 'eventDataChecksum does not match base64(SHA-256) of the UTF-8 bytes of eventData.' };
  }
  // The service's handling of repeated keys is undocumented; the lake refuses them, so that
  // what was validated is what SQL reads.
  const parsed = parseStrictJson(eventData);
  if ('problem' in parsed) return { code: 'InvalidData', message: `eventData ${parsed.problem}` };
  const data = parsed.value;
  // The text's length bounds every field's serialized size (JSON.stringify never writes a value
  // longer than any valid text of it), so a field the text is too short to take over its cap is
  // not serialized again to be measured.
  const violation = validateEventData(data, { recipientAccountId: owner, eventDataLength: eventData.length });
  return violation ? { code: violation.code, message: violation.message } : { recipientAccountId: (data as { recipientAccountId: string }).recipientAccountId };
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : message;
}
