import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
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
    expect(readFileSync(lock, 'utf8')).toBe(String(first.pid));
    const second = keeper(dir);
    expect(await exited(second)).toEqual({ code: 0, signal: null });
    expect(first.exitCode).toBeNull();
    // The server's end of the channel closes (as when the server stops or is killed): the keeper leaves, lock and all.
    first.disconnect();
    expect(await exited(first)).toEqual({ code: 0, signal: null });
    expect(existsSync(lock)).toBe(false);
  });
});
