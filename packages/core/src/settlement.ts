import { refusalEventJson, type Refusal } from './admission.js';
import type { Clock } from './clock.js';
import type { DeadLetterWriter } from './dead-letter.js';
import type { Destination, OutcomeTracker, QueuedEvent } from './destination.js';
import type { Reporter } from './diagnostics.js';
import type { Ledger, Outcome } from './ledger.js';

export interface SettlementOptions {
  readonly ledger: Ledger;
  readonly deadLetters: DeadLetterWriter;
  readonly destination: Pick<Destination, 'auditEventJson'>;
  readonly reporter: Reporter;
  readonly clock: Clock;
  readonly onDelivered: ((ids: readonly string[]) => void) | undefined;
  /** For the message of events abandoned at shutdown. */
  readonly shutdownTimeoutMs: number;
  /** Settled events leave the store for good. */
  readonly release: (events: readonly QueuedEvent[]) => void;
  /** After outcomes freed room (backpressure). */
  readonly drained: () => void;
}

/**
 * Where an event's fate is sealed: delivered, dead-lettered, refused before the queue, or left in
 * the spool at shutdown. Each outcome reaches the ledger, the dead letters, the `onDelivered`
 * hook and whoever waits for it (an exporter's `deliver()`).
 */
export class Settlement {
  readonly #o: SettlementOptions;

  constructor(options: SettlementOptions) {
    this.#o = options;
  }

  delivered(events: QueuedEvent[]): void {
    this.#settled(events, 'delivered');
  }

  deadLettered(events: QueuedEvent[], code: string, message: string): void {
    this.#settled(events, 'deadLettered', code, message);
  }

  /** An event refused before it was queued: dead-lettered at once, never sent. */
  refused(refusal: Refusal, tracker: OutcomeTracker | undefined): void {
    this.#o.ledger.refused(refusal.code);
    this.#writeDeadLetter(refusalEventJson(refusal), refusal.code, refusal.message, 0);
    if (tracker) tracker.deadLettered++;
  }

  abandoned(all: QueuedEvent[], lastFailure: string | undefined): void {
    const cause = lastFailure ? `; last failure: ${lastFailure}` : '';
    const volatile = all.filter((event) => event.spooled === undefined);
    if (volatile.length > 0) {
      this.deadLettered(volatile, 'Shutdown', `shutdown ran out of time (shutdownTimeoutMs ${this.#o.shutdownTimeoutMs} ms) before this event was delivered${cause}`);
    }
    // Events in the spool stay there, unsettled: the next sink on it sends them.
    const events = all.filter((event) => event.spooled !== undefined);
    this.#o.ledger.returned(events);
    for (const event of events) {
      const tracker = event.tracker;
      if (tracker === undefined) continue;
      tracker.kept++;
      if (--tracker.pending === 0) tracker.done();
    }
  }

  #settled(events: QueuedEvent[], outcome: Outcome, code?: string, message?: string): void {
    if (outcome === 'delivered' && this.#o.onDelivered) this.#notifyDelivered(events);
    if (outcome === 'deadLettered') {
      const letters = events.map((event) => ({ eventJson: this.#o.destination.auditEventJson(event), attempts: event.attempts }));
      this.#o.deadLetters.writeMany(letters, code as string, message as string, this.#o.clock.now());
      this.#announce(code as string, message as string);
    }
    this.#o.ledger.settled(events, outcome, code);
    this.#o.release(events);
    for (const event of events) {
      const tracker = event.tracker;
      if (tracker === undefined) continue;
      tracker[outcome]++;
      if (--tracker.pending === 0) tracker.done();
    }
    this.#o.drained();
  }

  #notifyDelivered(events: QueuedEvent[]): void {
    try {
      this.#o.onDelivered?.(events.map((event) => event.id));
    } catch (error) {
      this.#o.reporter.report('error', 'on-delivered', `auditlake: the onDelivered hook threw: ${String(error)}`);
    }
  }

  #writeDeadLetter(eventJson: string, code: string, message: string, attempts: number): void {
    this.#o.deadLetters.write(eventJson, code, message, attempts, this.#o.clock.now());
    this.#announce(code, message);
  }

  /** The first dead letter of each reason reaches stderr (later ones only debug output). */
  #announce(code: string, message: string): void {
    this.#o.reporter.report('warn', `dead-letter:${code}`, `auditlake: events are being dead-lettered to ${this.#o.deadLetters.destination}; first with reason ${code}: ${message}`);
  }
}
