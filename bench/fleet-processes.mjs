// The fleet bench with real processes: N Node processes, each a real sink (built-in client,
// real HTTP and SigV4), offer events at a steady rate to one local lake, `auditlake serve
// --max-tps <n>` in a process of its own (or with --embedded, `startLocalLake({ maxTps })` in this
// one), which allows that many PutAuditEvents requests per second to the account and answers
// ThrottlingException beyond it. Wall-clock time, so the figures carry the machine's noise:
// several rounds, medians, adaptation on and off in turn.
//
// The lake's request log gives what the service saw (accepted events per second, the throttled
// share); each process reports what it added, delivered and dead-lettered, and the delivery
// latency of its events (added → accepted, read off its own requests); an SQL count checks that
// the lake holds every event.
//
// `node bench/fleet-processes.mjs [--processes 20] [--rate 600] [--seconds 30] [--max-tps 100] [--rounds 3] [--embedded]` (after `pnpm run build`).
import { execFile, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    processes: { type: 'string', default: '20' },
    rate: { type: 'string', default: '600' },
    seconds: { type: 'string', default: '30' },
    'warmup-seconds': { type: 'string', default: '5' },
    'max-tps': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    adaptive: { type: 'string', default: 'true' },
    embedded: { type: 'boolean', default: false },
  },
});

if (args.child) await child();
else await parent();

/** One process of the fleet: adds `rate` events a second for `seconds`, then shuts its sink down and reports. */
async function child() {
  const { createAuditSink } = await import('@auditlake/core');
  const { endpoint, channelArn, credentials, index } = JSON.parse(process.env.FLEET_CHILD);
  const rate = Number(args.rate);
  const latencies = [];
  let throttled = 0;
  let requests = 0;
  const letters = {};
  const sink = createAuditSink({
    channelArn,
    endpoint,
    credentials,
    adaptiveRate: args.adaptive === 'true',
    persistOnExit: false,
    meterProvider: false,
    deadLetter: (letter) => void (letters[letter.reason.code] = (letters[letter.reason.code] ?? 0) + 1),
    diagnostics: { debug() {}, warn() {}, error: (message) => process.stderr.write(`${message}\n`) },
    // Sees each request: its answer, and the events' latency from the time in their UID.
    wrapSend: (send) => async (input, options) => {
      requests++;
      try {
        const output = await send(input, options);
        const failed = new Set((output.failed ?? []).map((f) => f.id));
        const now = Date.now();
        for (const event of input.auditEvents) {
          if (failed.has(event.id)) continue;
          const start = event.eventData.indexOf('"UID":"t') + 8;
          latencies.push(now - Number(event.eventData.slice(start, event.eventData.indexOf('"', start))));
        }
        return output;
      } catch (error) {
        if (error?.errorCode === 'ThrottlingException' || error?.name === 'ThrottlingException') throttled++;
        throw error;
      }
    },
  });
  const go = new Promise((resolve) => process.once('message', resolve));
  process.send({ ready: true });
  await go;
  const started = Date.now();
  const end = started + Number(args.seconds) * 1000;
  let added = 0;
  // Steady arrivals: every 10 ms, the events due by then.
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(Date.now(), end);
      while (started + (added * 1000) / rate < due) {
        const now = Date.now();
        sink.add({ time: now, attributes: { audit: { eventName: 'UpdateRoleBinding', eventSource: 'iam.fleet.example', UID: `t${now}`, userIdentity: { type: 'Employee', principalId: `user-${index}` } } } });
        added++;
      }
      if (due >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await sink.flush();
  await sink.shutdown();
  const stats = sink.stats();
  process.send({ added, delivered: stats.delivered, deadLettered: stats.deadLettered.total, letters, requests, throttled, latencies });
}

/** `auditlake serve --max-tps` in its own process; its request log (stderr) goes to `requestLog`. */
async function servedLake(maxTps, requestLog) {
  const bin = fileURLToPath(new URL('../packages/local/bin/auditlake.js', import.meta.url));
  const dataDir = mkdtempSync(join(tmpdir(), 'auditlake-fleet-'));
  const server = spawn(process.execPath, [bin, 'serve', '--max-tps', String(maxTps), '--port', '0', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: server.stderr }).on('line', requestLog);
  const [line] = await once(createInterface({ input: server.stdout }), 'line');
  const info = JSON.parse(line);
  return {
    endpoint: info.endpoint,
    channelArn: info.channelArn,
    // Not strict: any key pair is accepted; the lake's own when it says it.
    credentials: { accessKeyId: info.env?.AWS_ACCESS_KEY_ID ?? 'AKIDFLEETBENCH', secretAccessKey: info.env?.AWS_SECRET_ACCESS_KEY ?? 'fleet-bench' },
    async count() {
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'query', `SELECT count(*) AS n FROM ${info.eventDataStoreId}`, '--data-dir', dataDir, '--json']);
      return Number(/\d+/.exec(stdout)?.[0]);
    },
    async close() {
      server.kill('SIGTERM');
      await once(server, 'exit');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function embeddedLake(maxTps, requestLog) {
  const { startLocalLake } = await import('@auditlake/local');
  const lake = await startLocalLake({ maxTps, requestLog });
  return {
    endpoint: lake.endpoint,
    channelArn: lake.channelArn,
    credentials: lake.credentials,
    count: async () => Number((await lake.query(`SELECT count(*) AS n FROM ${lake.eventDataStoreId}`))[0].n),
    close: () => lake.close(),
  };
}

async function parent() {
  const { median, percentile, printTable } = await import('./table.mjs');
  const processes = Number(args.processes);
  const seconds = Number(args.seconds);
  const warmupMs = Number(args['warmup-seconds']) * 1000;
  const maxTps = Number(args['max-tps']);

  async function round(adaptive) {
    let go = 0;
    const seen = [];
    const lake = await (args.embedded ? embeddedLake : servedLake)(maxTps, (line) => {
      if (!line.includes(' PutAuditEvents ')) return;
      seen.push({ at: Date.now() - go, throttled: line.includes('ThrottlingException'), events: Number(/ events=(\d+)/.exec(line)?.[1] ?? 0), ok: / 200 /.test(line) });
    });
    try {
      const children = Array.from({ length: processes }, (_, index) =>
        fork(new URL(import.meta.url), ['--child', '--rate', String(args.rate), '--seconds', String(seconds), '--adaptive', String(adaptive)], {
          env: { ...process.env, FLEET_CHILD: JSON.stringify({ endpoint: lake.endpoint, channelArn: lake.channelArn, credentials: lake.credentials, index }) },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      const messages = children.map((c) => {
        const ready = new Promise((resolve) => c.once('message', resolve));
        const report = ready.then(() => new Promise((resolve) => c.once('message', resolve)));
        const failed = new Promise((_, reject) => c.once('exit', (code) => code !== 0 && reject(new Error(`a fleet process exited with ${code}`))));
        return { ready: Promise.race([ready, failed]), report: Promise.race([report, failed]) };
      });
      // Everyone is up (its sink created) before the clock starts.
      await Promise.all(messages.map((m) => m.ready));
      go = Date.now();
      for (const c of children) c.send('go');
      const results = await Promise.all(messages.map((m) => m.report));
      for (const c of children) if (c.connected) c.disconnect();
      const window = seen.filter((r) => r.at >= warmupMs && r.at < seconds * 1000);
      const windowS = (seconds * 1000 - warmupMs) / 1000;
      const latencies = results.flatMap((r) => r.latencies);
      const n = await lake.count();
      const added = results.reduce((s, r) => s + r.added, 0);
      return {
        goodput: window.filter((r) => r.ok).reduce((s, r) => s + r.events, 0) / windowS,
        requestRate: window.length / windowS,
        acceptedRate: window.filter((r) => r.ok).length / windowS,
        throttledShare: window.filter((r) => r.throttled).length / Math.max(1, window.length),
        meanBatch: window.filter((r) => r.ok).reduce((s, r) => s + r.events, 0) / Math.max(1, window.filter((r) => r.ok).length),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        added,
        lost: added - results.reduce((s, r) => s + r.delivered, 0),
        stored: Number(n),
        letters: results.reduce((all, r) => ({ ...all, ...Object.fromEntries(Object.entries(r.letters).map(([k, v]) => [k, (all[k] ?? 0) + v])) }), {}),
      };
    } finally {
      await lake.close();
    }
  }

  const modes = [true, false];
  const results = { true: [], false: [] };
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const adaptive of modes) {
      const result = await round(adaptive);
      results[adaptive].push(result);
      console.error(`round ${r + 1}, adaptation ${adaptive ? 'on' : 'off'}: ${JSON.stringify(result)}`);
    }
  }
  const f = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const m = (adaptive, key) => median(results[adaptive].map((r) => r[key]));
  console.log(`\n### real processes: ${processes} × ${f(Number(args.rate))} events/s for ${seconds} s against ${args.embedded ? `startLocalLake({ maxTps: ${maxTps} })` : `auditlake serve --max-tps ${maxTps}`}`);
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; lake and processes on the same machine; measured from ${warmupMs / 1000} s to the end of the load; median of ${args.rounds} rounds\n`);
  printTable(
    ['adaptation', 'goodput (events/s)', 'requests/s (accepted)', 'throttled', 'events per accepted request', 'p50 latency', 'p99 latency', 'lost, each round', 'stored = added'],
    modes.map((adaptive) => [
      adaptive ? 'on' : 'off',
      f(m(adaptive, 'goodput')),
      `${f(m(adaptive, 'requestRate'), 1)} (${f(m(adaptive, 'acceptedRate'), 1)})`,
      `${f(m(adaptive, 'throttledShare') * 100, 1)} %`,
      f(m(adaptive, 'meanBatch'), 1),
      `${f(m(adaptive, 'p50'))} ms`,
      `${f(m(adaptive, 'p99'))} ms`,
      `${results[adaptive].map((r) => f(r.lost)).join(' / ')}${Object.keys(results[adaptive].reduce((a, r) => ({ ...a, ...r.letters }), {})).map((c) => ` ${c}`).join('')}`,
      results[adaptive].every((r) => r.stored >= r.added - r.lost) ? 'yes' : 'NO',
    ]),
  );
}
