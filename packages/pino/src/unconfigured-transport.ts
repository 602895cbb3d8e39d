import { randomUUID } from 'node:crypto';
import { mapAuditRecord } from '@auditlake/core';
import build from 'pino-abstract-transport';
import { appendDeadLetter, fallbackDeadLetterFile } from './dead-letter-file.js';
import { toAuditLogRecord, type PinoConfig, type PinoLine } from './to-audit-log-record.js';
import { workerDiagnostics } from './worker-diagnostics.js';

/** The reason code of records refused because the transport is misconfigured. */
export const CONFIGURATION_ERROR = 'ConfigurationError';

/**
 * The transport when its options are unusable: it reads every line and dead-letters each audit
 * record (the built-in conversion and mapping, without the options) with `ConfigurationError`
 * to the dead-letter file, so that nothing is lost and the host keeps running.
 */
export function unconfiguredTransport(options: unknown, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  const deadLetter = (options !== null && typeof options === 'object' ? (options as { deadLetter?: unknown }).deadLetter : undefined) ?? undefined;
  const path = fallbackDeadLetterFile(deadLetter);
  workerDiagnostics.error(`auditlake: the pino transport is not configured: ${message}. Audit records are dead-lettered with ${CONFIGURATION_ERROR} to ${path} until this is fixed.`);
  return build(
    async (source) => {
      Object.assign(source, { flush: async () => {} });
      const config = source as unknown as PinoConfig;
      for await (const line of source as AsyncIterable<PinoLine>) {
        let eventData: string | undefined;
        try {
          const data = mapAuditRecord(toAuditLogRecord(line, config));
          eventData = data === undefined ? undefined : JSON.stringify(data);
        } catch {
          eventData = JSON.stringify(line);
        }
        if (eventData === undefined) continue;
        appendDeadLetter(path, { event: { id: randomUUID(), eventData }, reason: { code: CONFIGURATION_ERROR, message }, time: new Date().toISOString(), attempts: 0 });
      }
    },
    { expectPinoConfig: true, close: async () => {} },
  );
}
