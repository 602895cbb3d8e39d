import { isOwnAuditEventId, type AuditEvent } from '../../audit-event.js';
import type { Destination, QueuedEvent, SendOutcome } from '../../destination.js';
import { classifyRequestFailure } from '../../retry.js';
import { utf8Bytes } from '../../serialize.js';
import type { ChannelArn } from './channel-arn.js';
import { auditEventEntry, entryChecksum, lakeBatchLimits, requestBodyBuffer, requestBodyBytes } from './entry.js';
import { BodyPool, sendWithBody } from '../body-pool.js';
import { withLazyMember } from '../lazy-member.js';
import { RETRYABLE_EVENT_ERROR_CODES } from './limits.js';
import { createPutAuditEventsClient, type PutAuditEventsClientOptions, type PutAuditEventsInput, type PutAuditEventsOutput, type PutAuditEventsSend } from './put-audit-events-client.js';

/** Tag of this destination's entries in a spool. */
export const LAKE_ENTRY_FORMAT = 1;

/** Request-level errors of PutAuditEvents that mean the channel or its permissions are wrong. */
export const LAKE_CONFIGURATION_ERRORS: ReadonlySet<string> = new Set([
  'ChannelNotFound', 'ChannelInsufficientPermission', 'InvalidChannelARN', 'ChannelUnsupportedSchema', 'UnsupportedOperationException',
]);

export interface CloudTrailLakeDestinationOptions {
  channel: ChannelArn;
  externalId: string | undefined;
  /** Send `eventDataChecksum` with each event. */
  checksum: boolean;
  maxBatchEvents: number;
  maxBatchBytes: number;
  /** A PutAuditEvents call of the user's (the AWS SDK's, say); else the built-in client from `client`. */
  send: PutAuditEventsSend | undefined;
  /** Decorates whichever call is used (the OTel adapter suppresses tracing with it). */
  wrapSend: ((send: PutAuditEventsSend) => PutAuditEventsSend) | undefined;
  client: PutAuditEventsClientOptions;
  /** Requests at once: how many request bodies the built-in client keeps for reuse. */
  maxConcurrentRequests: number;
}

/** CloudTrail Lake, through PutAuditEvents into one channel. */
export function createCloudTrailLakeDestination(options: CloudTrailLakeDestinationOptions): Destination {
  const client = options.send ? undefined : createPutAuditEventsClient(options.client);
  const raw = options.send ?? (client as { send: PutAuditEventsSend }).send;
  const send = options.wrapSend ? options.wrapSend(raw) : raw;
  // Only the built-in client is known to be done with a body once its call settles.
  const bodies = client ? new BodyPool(options.maxConcurrentRequests) : undefined;
  const limits = lakeBatchLimits(options.maxBatchEvents, options.maxBatchBytes);
  const { channel, externalId, checksum } = options;

  return {
    description: `CloudTrail Lake channel ${channel.arn}`,
    operation: 'PutAuditEvents',
    format: LAKE_ENTRY_FORMAT,
    limits,
    encode({ id, json }) {
      const entry = auditEventEntry(id, json, checksum);
      // Measuring also joins the entry into one flat string while it is young (see `flattened`).
      const bytes = utf8Bytes(entry);
      const body = requestBodyBytes(bytes, 1);
      if (body > limits.maxBytes) return { refused: { code: 'EventTooLarge', message: `the event needs a ${body}-byte request body; maxBatchBytes is ${limits.maxBytes}` } };
      return { entry, bytes };
    },
    auditEventJson: (event) => event.entry,
    newBatchRule() {
      // No request carries an id twice. Ids made in this process are unique by construction;
      // only the others (replayed, recovered from a spool) need remembering.
      let ids: Set<string> | undefined;
      return {
        // Until a foreign id is added there is nothing to clash with: no check per event.
        accepts: (event) => ids === undefined || isOwnAuditEventId(event.id) || !ids.has(event.id),
        add: (event) => {
          if (!isOwnAuditEventId(event.id)) (ids ??= new Set()).add(event.id);
        },
      };
    },
    async send(events, signal) {
      // The body is built from the entries serialized at accept time, and only if `send` reads it.
      const body = () => requestBodyBuffer(events, bodies);
      return readOutcome(events, await sendWithBody(send, lazyInput(channel.arn, externalId, events), signal, body, bodies));
    },
    classify: (error) => classifyRequestFailure(error, LAKE_CONFIGURATION_ERRORS),
    close: () => client?.destroy(),
  };
}

/** `eventData` of an entry of this destination's format. */
export function decodeLakeEntry(entry: string): string {
  return (JSON.parse(entry) as AuditEvent).eventData;
}

/** The input of a call; `auditEvents` is parsed from the entries only when a custom `send` reads it. */
function lazyInput(channelArn: string, externalId: string | undefined, events: readonly QueuedEvent[]): PutAuditEventsInput {
  const fields = externalId === undefined ? { channelArn } : { channelArn, externalId };
  return withLazyMember(fields, 'auditEvents', () => events.map(lazyEvent));
}

/**
 * An `AuditEvent` whose id is at hand and whose text is parsed from the entry only when read: a
 * `send` that answers by id pays nothing more. `eventData` is an own enumerable getter, so that
 * a copy (`structuredClone`, spreading, `JSON.stringify`) gets the plain value; its descriptor
 * is shared by all events (an object literal with getters makes new functions and a slow
 * literal for each).
 */
class LazyAuditEvent {
  readonly id: string;
  readonly #entry: string;
  #parsed: AuditEvent | undefined;

  constructor(queued: QueuedEvent) {
    this.id = queued.id;
    this.#entry = queued.entry;
    Object.defineProperty(this, 'eventData', EVENT_DATA);
    // The checksum is read at its place in the entry, so it is a plain member: defining an
    // accessor costs about 90 ns per event, which every request of a custom `send` paid twice.
    const checksum = entryChecksum(queued.entry);
    if (checksum !== undefined) (this as unknown as { eventDataChecksum: string }).eventDataChecksum = checksum;
  }

  static parsed(event: LazyAuditEvent): AuditEvent {
    return (event.#parsed ??= JSON.parse(event.#entry) as AuditEvent);
  }
}

const EVENT_DATA: PropertyDescriptor = {
  get(this: LazyAuditEvent) {
    return LazyAuditEvent.parsed(this).eventData;
  },
  enumerable: true,
};

function lazyEvent(queued: QueuedEvent): AuditEvent {
  return new LazyAuditEvent(queued) as unknown as AuditEvent;
}

/** Splits a 200 response into delivered, rejected and to-be-resent events. */
function readOutcome(events: readonly QueuedEvent[], output: PutAuditEventsOutput): SendOutcome {
  // A custom `send` may return anything; what it does not account for is resent below.
  const successful = Array.isArray(output?.successful) ? output.successful : [];
  const failed = Array.isArray(output?.failed) ? output.failed : [];
  // The common answer: every event accepted, in the order sent. No lookup table for that.
  if (failed.length === 0 && successful.length === events.length && successful.every((entry, i) => entry?.id === (events[i] as QueuedEvent).id)) {
    return { delivered: events.slice(), rejected: [], retry: [], retryReason: '', throttled: false };
  }
  const byId = new Map(events.map((event) => [event.id, event]));
  const outcome: SendOutcome = { delivered: [], rejected: [], retry: [], retryReason: '', throttled: false };
  let retryReason = '';
  let throttled = false;
  for (const entry of successful) {
    const event = byId.get(entry?.id);
    if (event === undefined) continue;
    byId.delete(entry.id);
    outcome.delivered.push(event);
  }
  for (const entry of failed) {
    const event = byId.get(entry?.id);
    if (event === undefined) continue;
    byId.delete(entry.id);
    const code = typeof entry.errorCode === 'string' && entry.errorCode.length > 0 ? entry.errorCode : 'InternalFailure';
    const message = typeof entry.errorMessage === 'string' ? entry.errorMessage : '';
    if (RETRYABLE_EVENT_ERROR_CODES.has(code)) {
      outcome.retry.push(event);
      throttled ||= code === 'Throttling';
      retryReason = `${code}: ${message}`;
    } else {
      outcome.rejected.push({ event, code, message });
    }
  }
  if (byId.size > 0) {
    // Neither successful nor failed: we cannot know; resending (same id) is the safe side.
    outcome.retry.push(...byId.values());
    retryReason ||= `the response did not mention ${byId.size} event(s)`;
  }
  return { ...outcome, retryReason, throttled };
}
