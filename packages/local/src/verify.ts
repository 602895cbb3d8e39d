/**
 * `auditlake verify`: re-reads every store's log (and every CloudWatch Logs log group's, which
 * is the same kind of log), recomputes the hash chain, and checks it
 * against the head (`head.json`, which names every acknowledged record) and the checkpoints of
 * `digest.jsonl`, stopping at the first problem of each store: an altered record, a missing or
 * reordered one, events cut off the end, or a missing or damaged digest.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEAD_FILE, readHead, type ChainHead } from './chain-head.js';
import { DIGEST_FILE, LOG_FILE, type Checkpoint } from './event-log.js';
import { openCatalogReadOnly } from './lake-store.js';
import { LogCatalog } from './logs/log-catalog.js';
import { isNextRecordWithoutNewline } from './log-files.js';
import { chainHash, genesisHash, unframeLine } from './stored-event.js';

export interface StoreProblem {
  /** `digest`: `head.json` or `digest.jsonl` is missing or damaged, so cutting records off the end could go unnoticed. */
  kind: 'altered' | 'missing' | 'malformed' | 'truncated' | 'digest';
  /** 1-based position in the log (the record's `seq` when intact). */
  position: number;
  /** Line number in `events.jsonl`. */
  line: number;
  eventID?: string;
  /** The caller's AuditEvent id. */
  id?: string;
  message: string;
}

export interface StoreVerification {
  eventDataStoreId: string;
  name: string;
  /** Records read and verified (up to the first problem). */
  events: number;
  /** Head of the chain after the last verified record. */
  head: string;
  ok: boolean;
  problem?: StoreProblem;
  /** Things that are not tampering, e.g. a torn last line that was never acknowledged. */
  warnings: string[];
}

/** A CloudWatch Logs log group's verification: the same checks as an event data store's. */
export interface LogGroupVerification extends Omit<StoreVerification, 'eventDataStoreId' | 'name'> {
  logGroupName: string;
}

export interface VerifyReport {
  ok: boolean;
  dataDir: string;
  stores: StoreVerification[];
  logGroups: LogGroupVerification[];
}

export async function verifyDataDir(dataDir: string): Promise<VerifyReport> {
  const catalog = openCatalogReadOnly(dataDir);
  const stores: StoreVerification[] = [];
  for (const eds of catalog.eventDataStores) {
    stores.push(await verifyStore(catalog.storeDir(eds.id), eds.id, eds.name, eds.arn));
  }
  const logs = LogCatalog.open(dataDir, catalog, { readOnly: true });
  const logGroups: LogGroupVerification[] = [];
  for (const group of logs.logGroups) {
    const { eventDataStoreId: _id, name: _name, ...checked } = await verifyStore(logs.groupDir(group), group.id, group.name, logs.identity(group));
    logGroups.push({ logGroupName: group.name, ...checked });
  }
  return { ok: stores.every((s) => s.ok) && logGroups.every((g) => g.ok), dataDir, stores, logGroups };
}

async function verifyStore(dir: string, id: string, name: string, arn: string): Promise<StoreVerification> {
  const result: StoreVerification = { eventDataStoreId: id, name, events: 0, head: genesisHash(arn), ok: true, warnings: [] };
  // The head first: a running lake writes it after the log, so it is never ahead of what is read next.
  const stored = readHead(join(dir, HEAD_FILE));
  const head: ChainHead | undefined = typeof stored === 'object' ? stored.head : undefined;
  const digestPath = join(dir, DIGEST_FILE);
  const checkpoints = readCheckpoints(digestPath, result.warnings);
  const wanted = new Map(checkpoints.map((c) => [c.seq, c]));
  const path = join(dir, LOG_FILE);
  if (!existsSync(path)) {
    const recorded = Math.max(head?.seq ?? 0, ...checkpoints.map((c) => c.seq));
    if (recorded > 0) fail(result, { kind: 'truncated', position: 1, line: 1, message: `${LOG_FILE} is missing, but the digest records ${recorded} events` });
    return result;
  }

  let expected = 1;
  let lineNumber = 0;
  let pending = '';
  let stopped = false;
  const check = (line: string): boolean => {
    lineNumber++;
    const framed = unframeLine(line);
    let record: { seq?: unknown; eventID?: unknown; id?: unknown } | undefined;
    if (typeof framed !== 'string') {
      try {
        record = JSON.parse(framed.recordJson) as typeof record;
      } catch {
        record = undefined;
      }
    }
    const ids = identify(record, typeof framed === 'string' ? line : framed.recordJson);
    if (typeof framed === 'string') {
      return fail(result, { kind: 'malformed', position: expected, line: lineNumber, ...ids, message: `record ${expected} is damaged: ${framed}` });
    }
    const seq = record?.seq;
    if (typeof seq === 'number' && seq !== expected) {
      const message =
        seq > expected
          ? `record${seq - expected > 1 ? `s ${expected}-${seq - 1} are` : ` ${expected} is`} missing (the next record is ${seq})`
          : `record ${seq} appears again or out of order at position ${expected}`;
      return fail(result, { kind: 'missing', position: expected, line: lineNumber, ...ids, message });
    }
    const hash = chainHash(result.head, framed.recordJson);
    if (hash !== framed.hash) {
      return fail(result, {
        kind: 'altered',
        position: expected,
        line: lineNumber,
        ...ids,
        message: `record ${expected}${ids.eventID ? ` (eventID ${ids.eventID})` : ''} was altered: its hash does not match its content and the chain before it`,
      });
    }
    if (record === undefined) {
      return fail(result, { kind: 'malformed', position: expected, line: lineNumber, message: `record ${expected} is not valid JSON` });
    }
    const checkpoint = wanted.get(expected);
    if (checkpoint && checkpoint.hash !== hash) {
      return fail(result, { kind: 'altered', position: expected, line: lineNumber, ...ids, message: `record ${expected} does not match the checkpoint recorded at ${checkpoint.time}` });
    }
    if (head && head.seq === expected && head.hash !== hash) {
      return fail(result, { kind: 'altered', position: expected, line: lineNumber, ...ids, message: `record ${expected} does not match ${HEAD_FILE}` });
    }
    result.head = hash;
    result.events = expected;
    expected++;
    return true;
  };

  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 });
  for await (const chunk of stream as AsyncIterable<string>) {
    pending += chunk;
    let newline = pending.indexOf('\n');
    let start = 0;
    while (newline !== -1) {
      if (!check(pending.slice(start, newline))) {
        stopped = true;
        break;
      }
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    if (stopped) break;
    pending = pending.slice(start);
  }
  stream.destroy();
  if (stopped) return result;
  const acknowledged = Math.max(head?.seq ?? 0, ...checkpoints.map((c) => c.seq));
  if (pending.length > 0) {
    const whole = isNextRecordWithoutNewline(pending, { seq: result.events, hash: result.head });
    if (whole && whole.seq <= acknowledged) {
      return failed(result, {
        kind: 'truncated',
        position: whole.seq,
        line: lineNumber + 1,
        message: `record ${whole.seq} lost its final newline: it was acknowledged, so the log was cut (a start of the lake restores the newline)`,
      });
    }
    result.warnings.push(
      whole
        ? `${LOG_FILE} ends in record ${whole.seq} without its final newline, a write cut short by a crash before it was acknowledged (the next start restores the newline)`
        : `${LOG_FILE} ends in an incomplete record (${Buffer.byteLength(pending)} bytes): a write cut short by a crash, never acknowledged`,
    );
  }
  if (acknowledged > result.events) {
    return failed(result, {
      kind: 'truncated',
      position: result.events + 1,
      line: lineNumber + 1,
      message: `records ${result.events + 1}-${acknowledged} are missing from the end of the log (the digest records ${acknowledged} acknowledged events)`,
    });
  }
  if (result.events > 0 || pending.length > 0) {
    if (typeof stored === 'string') return failed(result, { kind: 'digest', position: result.events, line: lineNumber, message: `${HEAD_FILE} is damaged (${stored}): records cut off the end could go unnoticed` });
    if (stored === undefined) return failed(result, { kind: 'digest', position: result.events, line: lineNumber, message: `${HEAD_FILE} is missing: records cut off the end could go unnoticed (a store last written by an older version gets one at its next start)` });
    if (!existsSync(digestPath)) return failed(result, { kind: 'digest', position: result.events, line: lineNumber, message: `${DIGEST_FILE} is missing: the lake writes it with the first events, so it was removed` });
  }
  if (head && head.since > 0) result.warnings.push(`${HEAD_FILE} was rebuilt when the log held ${head.since} records: cutting records off the end is detected from there on`);
  return result;
}

/** The record's ids, read leniently from the raw text when the JSON itself is damaged. */
function identify(record: { eventID?: unknown; id?: unknown } | undefined, text: string): { eventID?: string; id?: string } {
  const ids: { eventID?: string; id?: string } = {};
  const eventID = typeof record?.eventID === 'string' ? record.eventID : /"eventID":"([^"\\]{1,128})"/.exec(text)?.[1];
  const id = typeof record?.id === 'string' ? record.id : /"id":"([-_A-Za-z0-9]{1,128})"/.exec(text)?.[1];
  if (eventID !== undefined) ids.eventID = eventID;
  if (id !== undefined) ids.id = id;
  return ids;
}

function fail(result: StoreVerification, problem: StoreProblem): false {
  result.ok = false;
  result.problem = problem;
  return false;
}

function failed(result: StoreVerification, problem: StoreProblem): StoreVerification {
  fail(result, problem);
  return result;
}

function readCheckpoints(path: string, warnings: string[]): Checkpoint[] {
  if (!existsSync(path)) return [];
  const checkpoints: Checkpoint[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim().length === 0) continue;
    try {
      const c = JSON.parse(line) as Checkpoint;
      if (Number.isInteger(c.seq) && typeof c.hash === 'string') checkpoints.push(c);
      else warnings.push(`${DIGEST_FILE} line ${index + 1} is not a checkpoint`);
    } catch {
      // The last line may be torn by a crash; anything else is worth a warning too.
      warnings.push(`${DIGEST_FILE} line ${index + 1} is not valid JSON`);
    }
  }
  return checkpoints;
}

/** Human-readable lines for the command. */
export function formatVerifyReport(report: VerifyReport): string[] {
  const lines: string[] = [];
  const checked = [
    ...report.stores.map((store) => ({ label: `event data store ${store.eventDataStoreId} (${store.name})`, store })),
    ...report.logGroups.map((store) => ({ label: `log group ${store.logGroupName}`, store })),
  ];
  for (const { label, store } of checked) {
    if (store.ok) lines.push(`OK      ${label}: ${store.events} events, chain head ${store.head}`);
    else {
      const p = store.problem as StoreProblem;
      const who = [p.eventID ? `eventID ${p.eventID}` : undefined, p.id ? `id ${p.id}` : undefined].filter(Boolean).join(', ');
      lines.push(`FAILED  ${label}: ${p.kind} at position ${p.position} (line ${p.line}${who ? `, ${who}` : ''}): ${p.message}`);
      lines.push(`        ${store.events} records before it verified`);
    }
    for (const warning of store.warnings) lines.push(`        warning: ${warning}`);
  }
  if (report.stores.length === 0) lines.push('no event data stores');
  lines.push(report.ok ? 'verify: OK' : 'verify: FAILED');
  return lines;
}
