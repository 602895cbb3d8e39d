// What the examples and the demo share: the simulated service's audit trail (data, so that
// each example only shows its own logger), and where to send it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A small service's day: sign-ins, a failed sign-in, a permission change, a data export, a
 * denied request, plus two records that must not reach the lake as they are: a plain log
 * line (skipped) and an audit record without an actor (dead-lettered with FieldNotFound).
 */
export const scenario = [
  { level: 'info', message: 'alice signed in', audit: { eventName: 'SignIn', userIdentity: { principalId: 'alice' }, sourceIPAddress: '198.51.100.7', responseElements: { mfa: true } } },
  { level: 'info', message: 'bob signed in', audit: { eventName: 'SignIn', userIdentity: { principalId: 'bob' }, sourceIPAddress: '198.51.100.23', responseElements: { mfa: false } } },
  { level: 'warn', message: 'sign-in failed', audit: { eventName: 'SignIn', userIdentity: { principalId: 'mallory' }, sourceIPAddress: '203.0.113.66', errorCode: 'InvalidPassword', errorMessage: 'wrong password' } },
  { level: 'info', message: 'role granted', audit: { eventName: 'UpdateRoleBinding', userIdentity: { principalId: 'alice' }, requestParameters: { role: 'admin', member: 'bob', password: 'hunter2' } } },
  { level: 'info', message: 'customer list exported', audit: { eventName: 'ExportData', userIdentity: { principalId: 'bob' }, requestParameters: { dataset: 'customers', format: 'csv' }, responseElements: { rows: 1204 } } },
  { level: 'warn', message: 'request denied', audit: { eventName: 'DeleteProject', userIdentity: { principalId: 'carol' }, errorCode: 'AccessDenied', errorMessage: 'carol may not delete projects' } },
  { level: 'info', message: 'health check ok' },
  { level: 'info', message: 'audit record without an actor', audit: { eventName: 'RotateKey' } },
];

/** Options every example gives its front end; `redact` shows that secrets never leave the process. */
export const common = { redact: ['requestParameters.password'] };

const cli = fileURLToPath(new URL('../bin/auditlake.js', import.meta.resolve('@auditlake/local')));

/**
 * Runs `auditlake serve` in a child process. Out of process on purpose: pino's
 * `transport.end()` (and its exit handler) block the main thread until the worker has
 * delivered, so a lake in the same thread could not answer it.
 */
export async function serveLake() {
  const dataDir = mkdtempSync(join(tmpdir(), 'auditlake-demo-'));
  // --json: the start-up details as one JSON line on stdout (the endpoint, the store, and the env an app needs).
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { env, store } = await new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`auditlake serve exited with ${code}: ${output}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline === -1) return;
      const info = JSON.parse(output.slice(0, newline));
      resolve({ env: info.env, store: info.eventDataStoreId });
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

/**
 * Where an example sends: whatever AUDITLAKE_* says (channel, endpoint, the AWS credential
 * chain), or, when no channel is configured, a local lake started for the run.
 */
export async function target() {
  if (process.env.AUDITLAKE_CHANNEL_ARN) return { options: {}, close: async () => {} };
  const lake = await serveLake();
  console.log(`no AUDITLAKE_CHANNEL_ARN: started a local lake at ${lake.env.AUDITLAKE_ENDPOINT}`);
  return {
    options: {
      channelArn: lake.env.AUDITLAKE_CHANNEL_ARN,
      endpoint: lake.env.AUDITLAKE_ENDPOINT,
      credentials: { accessKeyId: lake.env.AWS_ACCESS_KEY_ID, secretAccessKey: lake.env.AWS_SECRET_ACCESS_KEY },
    },
    close: async () => {
      await lake.stop();
      lake.cli('query', `SELECT eventData.userIdentity.principalId AS principal, eventData.eventName AS action, eventData.errorCode AS error FROM ${lake.store} ORDER BY eventData.eventTime, principal`);
      lake.remove();
    },
  };
}
