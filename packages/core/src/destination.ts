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
