import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalLake } from '@auditlake/local';
import { closeAll, KEY, runId, strictLake } from './helpers.js';

// Each front end's documented Lambda handler, run the way Lambda runs it: one process, loaded
// once, invoked several times; after each invocation the process is frozen (its main thread
// blocks between invocations, see support/lambda-runtime.mjs, and the test stops the whole
// process with SIGSTOP), so no timer, socket or worker thread runs until the next one. While it
// is frozen, the invocation's events must already be in the lake; at the end the environment is
// reclaimed (SIGKILL), without any exit hook.

const runtime = fileURLToPath(new URL('./support/lambda-runtime.mjs', import.meta.url));
const handlers = fileURLToPath(new URL('./fixtures/lambda/', import.meta.url));
const PER_INVOCATION = 5;

interface Outcome { result?: { logged: number }; error?: string; remainingMs: number }

const stops: (() => void)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await closeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startFunction(lake: LocalLake, handler: string) {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-lambda-'));
  dirs.push(dir);
  const source = runId();
  const deadLetter = join(dir, 'dead.jsonl');
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [runtime, join(handlers, handler)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_LAMBDA_FUNCTION_NAME: 'auditlake-test',
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AUDITLAKE_CHANNEL_ARN: lake.channelArn,
      AUDITLAKE_ENDPOINT: lake.endpoint,
      AUDITLAKE_DEAD_LETTER: deadLetter,
      SOURCE: source,
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  stops.push(() => child.kill('SIGKILL'));
  const outcomes = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let frozen = false;
  return {
    source,
    deadLetter,
    stderr: () => stderr,
    /** Runs one invocation; resolves with its outcome once the environment is frozen again. */
    async invoke(n: number, timeoutMs: number): Promise<Outcome> {
      if (frozen) child.kill('SIGCONT');
      child.stdin.write(`${JSON.stringify({ event: { n }, timeoutMs })}\n`);
      const next = await outcomes.next();
      if (next.done) throw new Error(`the function exited: ${stderr}`);
      child.kill('SIGSTOP');
      frozen = true;
      return JSON.parse(next.value) as Outcome;
    },
  };
}

async function countInvocation(lake: LocalLake, source: string, n: number): Promise<number> {
  const rows = await lake.query(
    `SELECT count(DISTINCT eventData.UID) AS events FROM ${lake.eventDataStoreId}
     WHERE eventData.eventSource = '${source}' AND element_at(eventData.requestParameters, 'invocation') = '${n}'`,
  );
  return Number(rows[0]?.events);
}

describe.each(['otel', 'winston', 'pino'])('the %s Lambda handler pattern', (name) => {
  it("has each invocation's events in the lake when its promise resolves, with nothing left pending in the frozen environment", async () => {
    const lake = await strictLake();
    const fn = startFunction(lake, `${name}.mjs`);
    for (let n = 0; n < 3; n++) {
      const outcome = await fn.invoke(n, 5000);
      expect(outcome.result).toEqual({ logged: PER_INVOCATION });
      expect(outcome.remainingMs).toBeGreaterThan(0);
      // The environment is frozen now: what is not in the lake yet could only arrive after a thaw.
      expect(await countInvocation(lake, fn.source, n)).toBe(PER_INVOCATION);
    }
    expect(fn.stderr()).toBe('');
    expect(existsSync(fn.deadLetter)).toBe(false);
  });

  it('returns within the time left when delivery is slow; the next invocation delivers what was left', async () => {
    const lake = await strictLake();
    const fn = startFunction(lake, `${name}.mjs`);
    await fn.invoke(0, 5000); // the cold start, and the worker of pino, out of the way
    lake.setFaults('latency=2500@1x1');
    const slow = await fn.invoke(1, 1500);
    expect(slow.result).toEqual({ logged: PER_INVOCATION });
    // Returned before the function's deadline, saying that delivery is still pending.
    expect(slow.remainingMs).toBeGreaterThan(0);
    expect(fn.stderr()).toContain('auditlake: audit events still pending');
    lake.setFaults('');
    await fn.invoke(2, 10_000);
    expect([await countInvocation(lake, fn.source, 1), await countInvocation(lake, fn.source, 2)]).toEqual([PER_INVOCATION, PER_INVOCATION]);
    expect(existsSync(fn.deadLetter)).toBe(false);
  });
});
