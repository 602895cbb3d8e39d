/**
 * The seam between the engine and one AWS service. Mapping, validation, the queue, the spool,
 * the ledger, retries, dead letters and stats know nothing of the service; everything that does
 * (the entry's encoding, the request limits and their byte arithmetic, the client, and how
 * responses and errors are read) sits behind this interface.
 */
import type { RequestFailure } from './retry.js';

/** An event the engine has accepted and holds until its outcome: queued, spooled or in a request. */
export interface QueuedEvent {
  /** The `AuditEvent.id`: generated once, kept across retries, spooling and replays. */
  readonly id: string;
  /** The destination's wire entry: the only copy of the event's text the engine keeps. */
  readonly entry: string;
  /** The entry's size in the destination's batch arithmetic (see {@link BatchLimits}). */
  readonly bytes: number;
  /** The event's own time, epoch milliseconds. */
  readonly timeMs: number;
  /** Acceptance order in this sink: `flush()` waits by it. */
  readonly seq: number;
  /** When the event was first accepted (perhaps by an earlier process): retry deadlines count from here. */
  readonly acceptedAt: number;
  /** Requests that carried it so far. */
  attempts: number;
  /** Set while it is taken into a request (the ledger counts it in flight). */
  inFlight: boolean;
  /** Who waits for this event's outcome (an OTel export), if anyone. */
  readonly tracker: OutcomeTracker | undefined;
  /** Where the spool keeps it, to release it once settled; `undefined` while it is in memory only. */
  spooled: SpoolPlace | undefined;
}

/**
 * Makes a {@link QueuedEvent}. A class, not an object literal: V8 watches where literals are
 * made, and once most of one site's objects outlive a young-generation collection (as events
 * do while they wait in a full queue) it makes that site's later objects in the old generation
 * at once. An event made old holds its young entry, and a young collection cannot tell that the
 * event is long delivered: every entry then survived to the next full collection. On the core
 * bench a quarter of all the sink allocated survived each young collection, from whichever run
 * first filled the queue on. V8 does not do this for objects made with `new`.
 */
export class QueuedEventRecord implements QueuedEvent {
  // Declared, then written once each in the constructor: no field is defined twice.
  declare readonly id: string;
  declare readonly entry: string;
  declare readonly bytes: number;
  declare readonly timeMs: number;
  declare readonly seq: number;
  declare readonly acceptedAt: number;
  declare attempts: number;
  declare inFlight: boolean;
  declare readonly tracker: OutcomeTracker | undefined;
  declare spooled: SpoolPlace | undefined;

  constructor(id: string, entry: string, bytes: number, timeMs: number, seq: number, acceptedAt: number, tracker: OutcomeTracker | undefined, spooled: SpoolPlace | undefined) {
    this.id = id;
    this.entry = entry;
    this.bytes = bytes;
    this.timeMs = timeMs;
    this.seq = seq;
    this.acceptedAt = acceptedAt;
    this.attempts = 0;
    this.inFlight = false;
    this.tracker = tracker;
    this.spooled = spooled;
  }
}

/** Counts outcomes of a group of events (one `deliver()` call) and tells when all are settled. */
export interface OutcomeTracker {
  pending: number;
  delivered: number;
  deadLettered: number;
  /** Left in the spool at shutdown. */
  kept: number;
  readonly done: () => void;
}

/** Opaque to everyone but the spool. */
export interface SpoolPlace {
  readonly segment: object;
  readonly frameSeq: number;
}

/** An event as mapping and validation leave it, before the destination encodes it. */
export interface OutgoingEvent {
  readonly id: string;
  /** The integration-schema event as JSON text (`eventData`). */
  readonly json: string;
  readonly timeMs: number;
}

export interface EncodedEntry {
  readonly entry: string;
  readonly bytes: number;
}

/** An event the destination can never take, whatever happens later. */
export interface EntryRefusal {
  readonly refused: { readonly code: string; readonly message: string };
}

/**
 * A batch's size is `envelopeBytes + Σ bytes + separatorBytes × (n − 1)`; it may hold at most
 * `maxEvents` entries and `maxBytes` of that size.
 */
export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly envelopeBytes: number;
  readonly separatorBytes: number;
}

/** A rule beyond counts and bytes for one batch being built (unique ids; a time span). */
export interface BatchRule {
  accepts(event: QueuedEvent): boolean;
  add(event: QueuedEvent): void;
}

/** What one request did to each event it carried. */
export interface SendOutcome {
  readonly delivered: QueuedEvent[];
  /** Refused for good, each with the service's own code and message. */
  readonly rejected: { event: QueuedEvent; code: string; message: string }[];
  /** Failed for a passing reason (per-event throttling, an internal failure): resend these, same ids. */
  readonly retry: QueuedEvent[];
  /** Why they are resent, for messages. */
  readonly retryReason: string;
  /** The service asked to slow down. */
  readonly throttled: boolean;
}

export interface Destination {
  /** What and where, for messages: `CloudTrail Lake channel arn:…`. */
  readonly description: string;
  /** The call's name, for messages: `PutAuditEvents`. */
  readonly operation: string;
  /** Tag of the entry encoding, written into the spool with each entry. */
  readonly format: number;
  readonly limits: BatchLimits;
  /** The wire entry of an accepted event, or why it can never be sent. Cheap: runs in `add()`. */
  encode(event: OutgoingEvent): EncodedEntry | EntryRefusal;
  /** The `AuditEvent` of an entry this destination encoded, as JSON text: what a dead letter holds. */
  auditEventJson(event: QueuedEvent): string;
  newBatchRule(): BatchRule;
  /** One request. Throws for a request-level failure, which `classify` reads. */
  send(events: readonly QueuedEvent[], signal: AbortSignal): Promise<SendOutcome>;
  classify(error: unknown): RequestFailure;
  /** Releases sockets. */
  close(): void;
}

export function isRefusal(result: EncodedEntry | EntryRefusal): result is EntryRefusal {
  return (result as EntryRefusal).refused !== undefined;
}

/** The size of a batch of `count` entries whose sizes add up to `entryBytes`. */
export function batchBytes(limits: BatchLimits, entryBytes: number, count: number): number {
  return limits.envelopeBytes + entryBytes + limits.separatorBytes * Math.max(0, count - 1);
}
