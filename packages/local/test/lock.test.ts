import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '@auditlake/core/internal';
import { exited, tempDir } from './helpers.js';

// Two servers on one data directory would fork its hash chains. The lock must have exactly one
// winner however many real processes race for it, also when the lock they find is stale.

const CONTENDER = fileURLToPath(new URL('./fixtures/lock-contender.mjs', import.meta.url));

interface Contender {
  child: ChildProcess;
  next: () => Promise<string>;
}

function contender(dir: string): Contender {
  const child = spawn(process.execPath, [CONTENDER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  return {
    child,
    next: () => {
      const line = queue.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Starts `count` contenders, lets them all go at once, and returns what each said. */
async function race(dir: string, count: number): Promise<{ results: string[]; contenders: Contender[] }> {
  const contenders = Array.from({ length: count }, () => contender(dir));
  expect(await Promise.all(contenders.map((c) => c.next()))).toEqual(Array(count).fill('ready'));
  for (const c of contenders) c.child.stdin?.write('go\n');
  return { results: await Promise.all(contenders.map((c) => c.next())), contenders };
}

async function finish(contenders: Contender[]): Promise<void> {
  for (const c of contenders) c.child.stdin?.end();
  await Promise.all(contenders.map((c) => exited(c.child)));
}

/** A lock whose holder was killed with SIGKILL: it never released. */
async function staleLock(dir: string): Promise<void> {
  const holder = contender(dir);
  expect(await holder.next()).toBe('ready');
  holder.child.stdin?.write('go\n');
  expect(await holder.next()).toBe('won');
  holder.child.kill('SIGKILL');
  await once(holder.child, 'exit');
}

describe('the data directory lock', () => {
  it('many processes racing over a stale lock: exactly one wins, every round', async () => {
    const dir = tempDir();
    for (let round = 0; round < 8; round++) {
      await staleLock(dir);
      const { results, contenders } = await race(dir, 8);
      expect({ round, winners: results.filter((r) => r === 'won').length }).toEqual({ round, winners: 1 });
      for (const lost of results.filter((r) => r !== 'won')) expect(lost).toMatch(/^lost .* is in use by another local lake \(pid \d+\)/);
      await finish(contenders);
    }
    // The directory holds one lock generation, not one per round.
    expect(readdirSync(join(dir, 'lock')).length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('a released lock and a lock of an older version left by a dead process are taken over; a live one is not', async () => {
    const dir = tempDir();
    const first = await race(dir, 1);
    expect(first.results).toEqual(['won']);
    await finish(first.contenders);
    const second = await race(dir, 3);
    expect(second.results.filter((r) => r === 'won')).toHaveLength(1);
    await finish(second.contenders);

    const legacy = tempDir();
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    writeFileSync(join(legacy, 'server.lock'), `${dead.pid}\n`);
    const third = await race(legacy, 4);
    expect(third.results.filter((r) => r === 'won')).toHaveLength(1);
    await finish(third.contenders);

    const live = tempDir();
    writeFileSync(join(live, 'server.lock'), `${process.pid}\n`);
    const fourth = await race(live, 1);
    expect(fourth.results[0]).toMatch(/older version/);
    await finish(fourth.contenders);
  }, 60_000);

  it('a lock whose pid now belongs to another process (pid reuse after a crash) is taken over; its own process keeps it', async () => {
    // This test process stands in for the process that reused the pid: alive, but not the one
    // that took the lock, which started at another time.
    const startTime = processStartTime(process.pid) as number;
    const reused = tempDir();
    mkdirSync(join(reused, 'lock'));
    writeFileSync(join(reused, 'lock', '1'), `${process.pid} ${startTime - 1}\n`);
    const taken = await race(reused, 2);
    expect(taken.results.filter((r) => r === 'won')).toHaveLength(1);
    await finish(taken.contenders);

    const held = tempDir();
    mkdirSync(join(held, 'lock'));
    writeFileSync(join(held, 'lock', '1'), `${process.pid} ${startTime}\n`);
    const refused = await race(held, 1);
    expect(refused.results[0]).toMatch(new RegExp(`in use by another local lake \\(pid ${process.pid}\\)`));
    await finish(refused.contenders);
  }, 60_000);
});
