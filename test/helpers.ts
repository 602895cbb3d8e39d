import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AuditSinkStats, DeadLetter, Diagnostics } from '@auditlake/core';
import { startLocalLake, type LocalLake, type LocalLakeOptions } from '@auditlake/local';

export const KEY = { accessKeyId: 'AKIDINTEGRATION', secretAccessKey: 'integration-secret-key', accountId: '123456789012' };

/** A lake in strict SigV4 mode that knows `KEY`; closed by `closeAll()`. */
export async function strictLake(options: LocalLakeOptions = {}): Promise<LocalLake> {
  const lake = await startLocalLake({ strictAuth: true, credentials: [KEY], quiet: true, ...options });
  lakes.push(lake);
  return lake;
}

const lakes: LocalLake[] = [];
export async function closeAll(): Promise<void> {
  for (const lake of lakes.splice(0)) await lake.close();
}

/** A unique event source per test, so that queries see only that test's events. */
export function runId(): string {
  return `run-${randomUUID().slice(0, 8)}`;
}

export function record(source: string, n: number, extra: Record<string, unknown> = {}) {
  return {
    time: Date.UTC(2026, 10, 25, 12, 0, n % 60),
    message: `event ${n}`,
    attributes: { audit: { eventName: 'SignIn', eventSource: source, userIdentity: { principalId: `user-${n}` }, ...extra } },
  };
}

export function collector() {
  const letters: DeadLetter[] = [];
  const messages: { level: string; message: string }[] = [];
  const diagnostics: Diagnostics = {
    debug: () => {},
    warn: (message) => void messages.push({ level: 'warn', message }),
    error: (message) => void messages.push({ level: 'error', message }),
  };
  return { letters, handler: (letter: DeadLetter) => void letters.push(letter), diagnostics, messages, codes: () => [...new Set(letters.map((l) => l.reason.code))] };
}

export function expectInvariant(stats: AuditSinkStats): void {
  expect(stats.added).toBe(stats.skipped + stats.delivered + stats.deadLettered.total + stats.queuedEvents + stats.inFlightEvents);
}

/** How many stored events (and distinct UIDs) came from `source`. */
export async function countIn(lake: LocalLake, source: string): Promise<{ events: number; distinct: number }> {
  const rows = await lake.query(
    `SELECT count(*) AS events, count(DISTINCT eventData.UID) AS distinct_uids FROM ${lake.eventDataStoreId} WHERE eventData.eventSource = '${source}'`,
  );
  return { events: Number(rows[0]?.events), distinct: Number(rows[0]?.distinct_uids) };
}
