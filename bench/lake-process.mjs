// The real local lake (startLocalLake: SigV4, validation, fsync, DuckDB) in a child process,
// driven over IPC: the benches' clients run in other processes, and pino's shutdown blocks its
// own main thread, so the lake must not share a thread with anything measured.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** Starts a lake with `options` (e.g. { faults: 'throttle=0.2,reset=0.05' }); resolves once it listens. */
export async function startLakeProcess(options = {}) {
  const child = fork(self, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map();
  let next = 0;
  let ready;
  const started = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`the local lake exited with ${code} before it listened`)));
  });
  child.on('message', (message) => {
    if (message.type === 'ready') return ready(message.lake);
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.rows);
  });
  const lake = await started;
  child.removeAllListeners('exit');
  const call = (message) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  return {
    ...lake,
    /** CloudTrail Lake SQL over the lake's stores. */
    query: (sql) => call({ type: 'query', sql }),
    setFaults: (spec) => call({ type: 'faults', spec }),
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'close' });
      await exited;
    },
  };
}

if (process.argv[1] === self) {
  const { startLocalLake } = await import('@auditlake/local');
  // quiet: a request log line per request would cost the lake CPU on the cores the clients measure on.
  const lake = await startLocalLake({ quiet: true, ...JSON.parse(process.argv[2] ?? '{}') });
  process.on('message', (message) => {
    void (async () => {
      if (message.type === 'close') {
        await lake.close();
        process.disconnect();
        return;
      }
      try {
        if (message.type === 'faults') lake.setFaults(message.spec);
        const rows = message.type === 'query' ? await lake.query(message.sql) : [];
        process.send({ id: message.id, rows });
      } catch (error) {
        process.send({ id: message.id, error: String(error?.message ?? error) });
      }
    })();
  });
  process.send({
    type: 'ready',
    lake: { endpoint: lake.endpoint, channelArn: lake.channelArn, credentials: lake.credentials, eventDataStoreId: lake.eventDataStoreId },
  });
}
