import { writeSync } from 'node:fs';

/** A sink that keeps what it holds when the process exits without `shutdown()`. */
export interface ExitParticipant {
  /** Synchronous, persist-only: no network, no promises. */
  persistAtExit(): void;
}

const participants = new Set<ExitParticipant>();

/**
 * The one process hook auditlake installs: a synchronous `exit` listener, shared by every sink
 * of the process, present only while a sink holds undelivered events' fate. It runs on a natural
 * exit and on `process.exit()`; nothing runs on SIGKILL or a power cut (the spool covers those
 * with what its earlier writes already put on disk).
 */
export function guardExit(participant: ExitParticipant): () => void {
  if (participants.size === 0) process.on('exit', persistAll);
  participants.add(participant);
  return () => {
    if (participants.delete(participant) && participants.size === 0) process.off('exit', persistAll);
  };
}

function persistAll(): void {
  for (const participant of participants) {
    try {
      participant.persistAtExit();
    } catch (error) {
      try {
        writeSync(2, `(auditlake) error: could not keep undelivered events at exit: ${String(error)}\n`);
      } catch {
        // No stderr left.
      }
    }
  }
}
