/**
 * The server's side of the columnar keeper (columnar-keeper.ts): started the first time a
 * store's log is big enough to be worth a columnar copy, restarted (at most once a minute) if
 * it dies, told to stop when the lake closes. What it says goes to the lake's diagnostics.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Diagnostics } from '@auditlake/core';

/** From src/ (tests) and from dist/ alike, the compiled keeper. */
const KEEPER = fileURLToPath(new URL('../dist/columnar-keeper.js', import.meta.url));
const RESTART_AFTER_MS = 60_000;
/** A keeper stops after the step it is in; one that does not within this long is killed. */
const STOP_GRACE_MS = 15_000;

export interface KeeperProcess {
  /** Starts the keeper unless it runs (or died less than a minute ago). */
  ensure(): void;
  close(): Promise<void>;
}

export function keeperProcess(dataDir: string, diagnostics: Diagnostics): KeeperProcess {
  let child: ChildProcess | undefined;
  let startedAt = 0;
  let closed = false;
  return {
    ensure() {
      if (closed || child !== undefined || Date.now() - startedAt < RESTART_AFTER_MS) return;
      startedAt = Date.now();
      const started = fork(KEEPER, [dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
      child = started;
      started.stderr?.setEncoding('utf8').on('data', (text: string) => {
        for (const line of text.split('\n')) if (line.trim() !== '') diagnostics.warn(line);
      });
      started.once('exit', (code, signal) => {
        child = undefined;
        if (!closed) diagnostics.warn(`auditlake: the columnar keeper exited (${signal ?? `code ${code}`}); queries read the logs themselves until it runs again`);
      });
      // The keeper must not keep the server's event loop alive, nor the server the keeper's.
      started.unref();
      started.channel?.unref();
    },
    async close() {
      closed = true;
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      // Unreferenced, its exit would not keep this process waiting for it.
      running.ref();
      running.kill('SIGTERM');
      const kill = setTimeout(() => running.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(kill);
    },
  };
}
