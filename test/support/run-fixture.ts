// Runs a front-end fixture (test/fixtures/*.mjs) in its own process against a lake, as the
// front-end integration tests do for either destination.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeadLetter } from '@auditlake/core';
import type { LocalLake } from '@auditlake/local';
import { KEY, runId } from '../helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const dirs: string[] = [];

export interface Run {
  code: number | null;
  stderr: string;
  ms: number;
  letters: DeadLetter[];
  source: string;
}

/**
 * Runs `fixture` with COUNT records, credentials from the environment (the default AWS chain)
 * and the lake's channel; `env` adds to or overrides that (an empty AUDITLAKE_CHANNEL_ARN
 * counts as unset, for a CloudWatch Logs run).
 */
export function runFixture(lake: LocalLake, fixture: string, count: number, env: Record<string, string> = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-fe-'));
  dirs.push(dir);
  const source = runId();
  const deadLetter = join(dir, 'dead.jsonl');
  const started = Date.now();
  const child = spawn(process.execPath, [join(fixtures, fixture)], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AUDITLAKE_CHANNEL_ARN: lake.channelArn,
      AUDITLAKE_ENDPOINT: lake.endpoint,
      AUDITLAKE_DEAD_LETTER: deadLetter,
      COUNT: String(count),
      SOURCE: source,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      let letters: DeadLetter[] = [];
      try {
        letters = readFileSync(deadLetter, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as DeadLetter);
      } catch {
        // no dead letters at all
      }
      resolve({ code, stderr, ms: Date.now() - started, letters, source });
    });
  });
}

/** Removes the fixtures' temporary directories (dead-letter files). */
export function removeFixtureDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
