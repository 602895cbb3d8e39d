// The demo's local lake: `auditlake serve` in a child process, and SQL over its data directory.
// (The examples themselves are standalone projects and do not use this.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/auditlake.js', import.meta.resolve('@auditlake/local')));

/**
 * Runs `auditlake serve` in a child process. Out of process on purpose: pino's
 * `transport.end()` (and its exit handler) block the main thread until the worker has
 * delivered, so a lake in the same thread could not answer it.
 */
export async function serveLake() {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditlake-demo-'));
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { env, store } = await new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`auditlake serve exited with ${code}: ${output}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.startsWith('export '));
      if (!line) return;
      resolve({
        env: Object.fromEntries(line.slice(7).split(' ').map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
        store: /event data store:\s+(\S+)/.exec(output)?.[1],
      });
    });
  });
  child.removeAllListeners('exit');
  child.stdout.resume();
  return {
    env,
    /** The default event data store's id, for `FROM <id>`. */
    store,
    dataDir,
    /** Stops the server, then runs SQL on its data directory with `auditlake query --json`. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    query(sql) {
      const result = spawnSync(process.execPath, [cli, 'query', sql, '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(result.stderr || `auditlake query failed with ${result.status}`);
      return JSON.parse(result.stdout);
    },
    cli: (...args) => spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { stdio: 'inherit' }).status,
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
