// Both destinations side by side, with the built-in clients over real HTTP and SigV4, against
// one fake service in a child process that answers PutAuditEvents and PutLogEvents after the same
// latency (its CPU is not ours). Measured in one run: requests per 10,000 small events against
// the minimum each service's limits allow, request fill for large events, and core's CPU per
// event (this process: map, validate, encode, batch, body, sign, HTTP), median of 3.
//
// `node bench/destinations.mjs [--latency-ms 10] [--events 50000]` (after `pnpm run build`).
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { fake: { type: 'boolean', default: false }, 'latency-ms': { type: 'string', default: '10' }, events: { type: 'string', default: '50000' } },
});
const LATENCY_MS = Number(args['latency-ms']);

if (args.fake) {
  serveFake(LATENCY_MS);
} else {
  await main();
}

/** The fake: answers every call after LATENCY_MS, and counts what each request carried. */
function serveFake(latencyMs) {
  let seen = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.end(JSON.stringify(seen));
        seen = [];
        return;
      }
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      let reply = '{}';
      if (req.url.startsWith('/PutAuditEvents')) {
        const { auditEvents } = JSON.parse(body.toString('utf8'));
        seen.push({ destination: 'lake', events: auditEvents.length, bodyBytes: body.length, serviceBytes: body.length });
        reply = JSON.stringify({ successful: auditEvents.map((e) => ({ id: e.id, eventID: e.id })), failed: [] });
      } else if (target === 'Logs_20140328.PutLogEvents') {
        const { logEvents } = JSON.parse(body.toString('utf8'));
        const serviceBytes = logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
        seen.push({ destination: 'logs', events: logEvents.length, bodyBytes: body.length, serviceBytes });
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': req.url.startsWith('/PutAuditEvents') ? 'application/json' : 'application/x-amz-json-1.1' });
        res.end(reply);
      }, latencyMs);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('disconnect', () => process.exit(0));
}

async function main() {
  const { createAuditSink } = await import('@auditlake/core');
  const { machineLine, median, printTable } = await import('./table.mjs');
  const machine = machineLine();
  const fake = spawn(process.execPath, [fileURLToPath(import.meta.url), '--fake', '--latency-ms', String(LATENCY_MS)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    fake.once('error', reject);
    fake.stdout.once('data', (data) => resolve(Number(String(data).trim())));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' };
  const DESTINATIONS = {
    'CloudTrail Lake': { channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/bench' },
    'CloudWatch Logs': { logGroupName: '/bench/audit', logStreamName: 'bench', region: 'us-east-1' },
  };
  // The most events of one size a request can hold, by each service's arithmetic.
  const PER_REQUEST = {
    // Body: `{"auditEvents":[` + entries joined by `,` + `]}` ≤ 1,000,000 bytes, at most 100 entries.
    'CloudTrail Lake': (eventData) => Math.min(100, Math.floor((1_000_000 - 17) / (entryBytes(eventData) + 1))),
    // Σ (UTF-8 message + 26) ≤ 1,048,576, at most 10,000 events.
    'CloudWatch Logs': (eventData) => Math.min(10_000, Math.floor(1_048_576 / (Buffer.byteLength(eventData) + 26))),
  };
  const LIMIT_BYTES = { 'CloudTrail Lake': 1_000_000, 'CloudWatch Logs': 1_048_576 };

  const seen = () =>
    new Promise((resolve, reject) => {
      request(`${endpoint}/stats`, { method: 'GET' }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      }).on('error', reject).end();
    });

  /** The eventData of a record as the sink maps it, to size the minimum. */
  async function eventDataOf(padding) {
    let eventData;
    const sink = createAuditSink({ ...DESTINATIONS['CloudWatch Logs'], send: async (input) => ((eventData = input.logEvents[0].message), {}), deadLetter: () => {}, persistOnExit: false });
    sink.add(record(1, padding));
    await sink.flush();
    await sink.shutdown();
    return eventData;
  }

  async function run(name, events, padding) {
    await seen();
    const sink = createAuditSink({ ...DESTINATIONS[name], endpoint, credentials, env: {}, deadLetter: () => {}, persistOnExit: false, maxQueueEvents: 200_000, maxQueueBytes: 256 * 1024 * 1024 });
    const records = Array.from({ length: Math.min(events, 2000) }, (_, i) => record(i, padding));
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < events; i++) {
      sink.add(records[i % records.length]);
      const wait = sink.waitForCapacity();
      if (wait) await wait;
    }
    await sink.flush();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const stats = sink.stats();
    await sink.shutdown();
    if (stats.delivered !== events) throw new Error(`${name}: delivered ${stats.delivered} of ${events}: ${JSON.stringify(stats)}`);
    const calls = (await seen()).filter((call) => call.events > 0);
    return { eventsPerSecond: events / seconds, cpuPerEventUs: (cpu.user + cpu.system) / events, requests: stats.requests, calls };
  }

  /** Fewest requests the service's limits allow for `count` events of this eventData (all the same size). */
  const minimumRequests = (name, eventData, count) => Math.ceil(count / PER_REQUEST[name](eventData));

  const small = await eventDataOf('');
  const large = await eventDataOf('x'.repeat(60_000));
  const events = Number(args.events);
  const names = Object.keys(DESTINATIONS);

  // Warm-up, then three interleaved rounds, so that noise on the shared machine hits both alike.
  for (const name of names) await run(name, 5000, '');
  const cpuRuns = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < 3; round++) for (const name of names) cpuRuns[name].push(await run(name, events, ''));

  const rows = [];
  for (const name of names) {
    const tenK = await run(name, 10_000, '');
    const big = await run(name, 2_000, 'x'.repeat(60_000));
    const full = big.calls.slice(0, -1).sort((a, b) => a.serviceBytes - b.serviceBytes);
    const fill = full.length ? full.reduce((n, call) => n + call.serviceBytes, 0) / full.length / LIMIT_BYTES[name] : 0;
    rows.push([
      name,
      Math.round(median(cpuRuns[name].map((r) => r.eventsPerSecond))).toLocaleString('en-US'),
      median(cpuRuns[name].map((r) => r.cpuPerEventUs)).toFixed(2),
      `${tenK.requests} (min ${minimumRequests(name, small, 10_000)})`,
      `${big.requests} (min ${minimumRequests(name, large, 2_000)})`,
      `${(fill * 100).toFixed(1)} % (${full.length ? Math.round(full.reduce((n, c) => n + c.events, 0) / full.length) : 0} events)`,
      `${Math.round(Math.max(...big.calls.map((c) => c.bodyBytes)) / 1024)} KiB`,
    ]);
  }
  fake.kill();

  console.log(`\n## destinations: CloudTrail Lake and CloudWatch Logs, same run, fake services of equal latency (${LATENCY_MS} ms)`);
  console.log(machine);
  console.log(`Built-in clients over HTTP with SigV4; CPU of this process only (the fakes run in a child); median of 3 interleaved runs of ${events.toLocaleString('en-US')} events.`);
  console.log(`Small event: eventData ${Buffer.byteLength(small)} B; large event: ${Buffer.byteLength(large)} B. Fill: of 1,000,000 B of request body (Lake), of 1,048,576 B of messages + 26 per event (CloudWatch), over the full requests.\n`);
  printTable(['destination', 'events/s', 'core CPU µs/event', 'requests per 10,000 small', 'requests per 2,000 large', 'fill, large events', 'largest HTTP body'], rows);
}

function entryBytes(eventData) {
  // `{"id":"<id>","eventData":<escaped>,"eventDataChecksum":"<44 chars>"}`, as the Lake destination writes it; ids are 22 + 1 + a counter.
  return Buffer.byteLength(JSON.stringify({ id: 'x'.repeat(27), eventData, eventDataChecksum: 'x'.repeat(44) }));
}

function record(n, padding) {
  return {
    time: Date.now(),
    message: 'user changed a role binding',
    severity: 'INFO',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    attributes: {
      audit: {
        eventName: 'UpdateRoleBinding',
        eventSource: 'iam.bench.example',
        userIdentity: { type: 'Employee', principalId: `user-${n % 1000}`, details: { team: 'platform', mfa: true } },
        sourceIPAddress: '203.0.113.42',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
        requestParameters: { role: 'admin', binding: `binding-${n % 1000}`, scope: { org: 'acme', project: 'payments' }, note: padding },
        responseElements: { status: 'ok', version: n % 1000 },
        recipientAccountId: '123456789012',
      },
      'http.route': '/v1/roles/{role}/bindings',
      'http.request.method': 'PUT',
      tenant: 'acme',
    },
  };
}
