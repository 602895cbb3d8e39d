// The demo's local lake: `auditlake serve` in a child process, and SQL over its data directory.
// (The examples themselves are standalone projects and do not use this.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/auditlake.js', import.meta.resolve('@auditlake/local')));

/**
 * Runs `auditlake serve` in a child process, with `args` added (e.g. `--log-group <name>`). Out
 * of process on purpose: pino's `transport.end()` (and its exit handler) block the main thread
 * until the worker has delivered, so a lake in the same thread could not answer it.
 */
export async function serveLake(args = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditlake-demo-'));
  // --json: the start-up details as one JSON line on stdout (the endpoint, the store, and the env an app needs).
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir, '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { env, store, channelArn, logGroupName } = await new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`auditlake serve exited with ${code}: ${output}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline === -1) return;
      const info = JSON.parse(output.slice(0, newline));
      resolve({ env: info.env, store: info.eventDataStoreId, channelArn: info.channelArn, logGroupName: info.logGroupName });
    });
  });
  child.removeAllListeners('exit');
  child.stdout.resume();
  return {
    /** The environment an app needs to send here: the channel's, or with `--log-group` the log group's. */
    env,
    /** The default event data store's id, for `FROM <id>`. */
    store,
    channelArn,
    /** With `--log-group`: the CloudWatch Logs log group, for `FROM "<name>"`. */
    logGroupName,
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
