import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { processStartTime } from '@auditlake/core/internal';
import { exited, lake, tempDir } from './helpers.js';

// The keeper process on its own: one per data directory, and it leaves when its server does.

const KEEPER = fileURLToPath(new URL('../dist/columnar-keeper.js', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function keeper(dataDir: string): ChildProcess {
  const child = fork(KEEPER, [dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
  children.push(child);
  // Read what it says, so that a full pipe never blocks it.
  child.stderr?.resume();
  return child;
}

describe('the columnar keeper', () => {
  it('runs once per data directory (a second one leaves at once), and leaves when its server goes', async () => {
    const dir = tempDir();
    await (await lake({ dataDir: dir })).close();
    const lock = join(dir, 'columnar', 'keeper.lock');
    const first = keeper(dir);
    while (!existsSync(lock)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readFileSync(lock, 'utf8')).toMatch(new RegExp(`^${first.pid} \\d+$`));
    const second = keeper(dir);
    expect(await exited(second)).toEqual({ code: 0, signal: null });
    expect(first.exitCode).toBeNull();
    // The server's end of the channel closes (as when the server stops or is killed): the keeper leaves, lock and all.
    first.disconnect();
    expect(await exited(first)).toEqual({ code: 0, signal: null });
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock whose pid another process reused (a live pid with another start time)", async () => {
    const dir = tempDir();
    await (await lake({ dataDir: dir })).close();
    const lock = join(dir, 'columnar', 'keeper.lock');
    mkdirSync(join(dir, 'columnar'), { recursive: true });
    const startTime = processStartTime(process.pid) as number;
    // This test process is alive, but it is not the process that took the lock.
    writeFileSync(lock, `${process.pid} ${startTime - 1}`);
    const taker = keeper(dir);
    while (!readFileSync(lock, 'utf8').startsWith(`${taker.pid} `)) {
      if (taker.exitCode !== null) throw new Error(`the keeper left (exit ${taker.exitCode}) instead of taking the lock over`);
      // Read as often as possible: the lock must be there at every moment of the takeover.
      await new Promise((resolve) => setImmediate(resolve));
    }
    taker.disconnect();
    expect(await exited(taker)).toEqual({ code: 0, signal: null });
  });
});
