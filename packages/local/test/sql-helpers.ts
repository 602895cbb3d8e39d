import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chainHash, frameLine, genesisHash } from '../src/stored-event.js';
import { controlRaw, type RawResponse } from './helpers.js';

/** A store created through the control plane; its id. */
export async function createStore(endpoint: string, name: string, selectors?: unknown): Promise<{ id: string; arn: string }> {
  const created = await controlRaw(endpoint, 'CreateEventDataStore', { Name: name, ...(selectors === undefined ? {} : { AdvancedEventSelectors: selectors }) });
  expect(created.status, created.text).toBe(200);
  const arn = created.json.EventDataStoreArn as string;
  return { arn, id: arn.split('/')[1] as string };
}

/**
 * Appends records to a store's log the way a writer of CloudTrail events would (framed and
 * hash-chained, continuing the log's chain). Only while no lake has the data directory open.
 */
export function appendRecords(dataDir: string, store: { id: string; arn: string }, records: Record<string, unknown>[]): void {
  const path = join(dataDir, 'stores', store.id, 'events.jsonl');
  mkdirSync(join(path, '..'), { recursive: true });
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = '';
  }
  const lines = text.split('\n').filter((line) => line.length > 0);
  const last = lines.at(-1);
  let hash = last === undefined ? genesisHash(store.arn) : (JSON.parse(last) as { hash: string }).hash;
  let seq = last === undefined ? 0 : (JSON.parse(last) as { record: { seq: number } }).record.seq;
  let out = '';
  for (const record of records) {
    const json = JSON.stringify({ seq: ++seq, ...record });
    hash = chainHash(hash, json);
    out += frameLine(hash, json);
  }
  appendFileSync(path, out);
}

/** Polls DescribeQuery until the query leaves QUEUED and RUNNING. */
export async function settled(endpoint: string, queryId: string): Promise<RawResponse> {
  for (;;) {
    const described = await controlRaw(endpoint, 'DescribeQuery', { QueryId: queryId });
    const status = described.json.QueryStatus;
    if (status !== 'QUEUED' && status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
