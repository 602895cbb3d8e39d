// A fleet that shares the service's quota, on virtual time: many real sinks (createAuditSink with
// a shared virtual clock) send to a simulated PutAuditEvents in this process that allows 100
// requests/s per account (a token bucket with a burst of 100, as the local lake's maxTps) and
// answers a request beyond it with ThrottlingException (HTTP 400, "Rate exceeded"), each answer
// after 30–60 ms. Everything the sinks do is real (batching, pacing, retries, dead letters)
// except the network. Each scenario runs with the adaptation on and off, with several seeds
// (arrival phases, latencies, jitter); the tables show medians.
//
// `node bench/fleet.mjs [--seeds 3] [--scenario ceiling,thousand,under] [--trace]` (after `pnpm run build`);
// a scenario of your own: `--senders 50 --rate 240 --seconds 60`.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createAuditSink } from '@auditlake/core';
import { createVirtualClock } from '@auditlake/core/internal';
import { median, percentile, printTable } from './table.mjs';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    scenario: { type: 'string', default: 'ceiling,thousand,under' },
    senders: { type: 'string' },
    rate: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '60' },
    // Per seed: one line of figures, and with --trace the service's view every 10 s.
    trace: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1);
const CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/fleet-bench';
const TPS = 100;
const TICK_MS = 10;

const SCENARIOS = {
  // 20 senders × 600 events/s: 12,000 events/s offered, 1.2 × what 100 full requests/s carry.
  ceiling: { title: 'offered load above the ceiling: 20 senders × 600 events/s (12,000 events/s) for 60 s', senders: 20, eventsPerSecond: 600, durationMs: 60_000, warmupMs: 10_000 },
  // 1,000 senders × 1 event/s: a tenth of the ceiling's events, in ten times the quota's requests at a 1 s linger.
  thousand: { title: '1,000 senders × 1 event/s for 180 s', senders: 1000, eventsPerSecond: 1, durationMs: 180_000, warmupMs: 60_000 },
  // 10 senders × 100 events/s: a tenth of the quota; the adaptation must cost nothing.
  under: { title: '10 senders × 100 events/s (under the quota) for 60 s', senders: 10, eventsPerSecond: 100, durationMs: 60_000, warmupMs: 5_000 },
};
if (args.senders !== undefined) {
  const [senders, eventsPerSecond, seconds] = [Number(args.senders), Number(args.rate), Number(args.seconds)];
  SCENARIOS.custom = { title: `${senders} senders × ${eventsPerSecond} events/s for ${seconds} s`, senders, eventsPerSecond, durationMs: seconds * 1000, warmupMs: Math.min(60_000, (seconds * 1000) / 3) };
  args.scenario = 'custom';
}

/** PutAuditEvents with the account's request quota, on the virtual clock; counts what it sees in `window`, and every 10 s. */
function simulatedService(clock, random, window) {
  let tokens = TPS;
  let at = clock.now();
  const counts = () => ({ requests: 0, throttled: 0, accepted: 0, events: 0 });
  const log = { inWindow: counts(), latenciesMs: [], slots: [] };
  const send = (input) => {
    const now = clock.now();
    tokens = Math.min(TPS, tokens + ((now - at) * TPS) / 1000);
    at = now;
    const admitted = tokens >= 1;
    if (admitted) tokens -= 1;
    const tallies = [(log.slots[Math.floor((now - window.start) / 10_000)] ??= counts())];
    if (now >= window.from && now < window.to) tallies.push(log.inWindow);
    for (const tally of tallies) tally.requests++;
    return new Promise((resolve, reject) => {
      clock.setTimeout(() => {
        if (!admitted) {
          for (const tally of tallies) tally.throttled++;
          reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
          return;
        }
        for (const tally of tallies) {
          tally.accepted++;
          tally.events += input.auditEvents.length;
        }
        const done = clock.now();
        for (const event of input.auditEvents) {
          const addedAt = addedAtOf(event.eventData);
          if (addedAt >= window.from && addedAt < window.to) log.latenciesMs.push(done - addedAt);
        }
        resolve({ successful: input.auditEvents.map((event) => ({ id: event.id, eventID: event.id })), failed: [] });
      }, 30 + Math.floor(random() * 30));
    });
  };
  return { send, log };
}

/** The time the bench added an event, which it writes into the event's UID. */
function addedAtOf(eventData) {
  const start = eventData.indexOf('"UID":"t') + 8;
  return Number(eventData.slice(start, eventData.indexOf('"', start)));
}

function record(sender, now) {
  return {
    time: now,
    attributes: {
      audit: {
        eventName: 'UpdateRoleBinding',
        eventSource: 'iam.fleet.example',
        UID: `t${now}`,
        userIdentity: { type: 'Employee', principalId: `user-${sender}` },
        requestParameters: { role: 'admin', binding: `binding-${sender}` },
      },
    },
  };
}

async function simulate(scenario, { seed, adaptive }) {
  const clock = createVirtualClock(Date.UTC(2026, 0, 1), seed);
  // The simulation's own draws (phases, latencies) come from the clock's seeded source too.
  const random = clock.random;
  const start = clock.now();
  const window = { start, from: start + scenario.warmupMs, to: start + scenario.durationMs };
  const service = simulatedService(clock, random, window);
  const deadLetters = {};
  const reports = new Set();
  const sinks = Array.from({ length: scenario.senders }, () =>
    createAuditSink({
      channelArn: CHANNEL_ARN,
      clock,
      send: service.send,
      adaptiveRate: adaptive,
      deadLetter: (letter) => void (deadLetters[letter.reason.code] = (deadLetters[letter.reason.code] ?? 0) + 1),
      diagnostics: { debug: () => {}, warn: (message) => void reports.add(message.slice(0, 100)), error: (message) => void reports.add(message.slice(0, 100)) },
      persistOnExit: false,
      meterProvider: false,
      env: {},
    }),
  );
  // Each sender adds at its own steady rate, from its own phase.
  const interval = 1000 / scenario.eventsPerSecond;
  const next = sinks.map(() => start + random() * interval);
  let added = 0;
  while (clock.now() < start + scenario.durationMs) {
    const until = clock.now() + TICK_MS;
    for (let i = 0; i < sinks.length; i++) {
      for (; next[i] < until; next[i] += interval) {
        sinks[i].add(record(i, Math.floor(next[i])));
        added++;
      }
    }
    await clock.advance(TICK_MS);
  }
  // No more events: on until every sink has settled everything, then shut down.
  const drainStart = clock.now();
  const busy = () => sinks.some((sink) => sink.stats().queuedEvents + sink.stats().inFlightEvents > 0);
  while (busy() && clock.now() - drainStart < 600_000) await clock.advance(1000);
  let closed = false;
  const shutdown = Promise.all(sinks.map((sink) => sink.shutdown())).then(() => (closed = true));
  while (!closed) await clock.advance(1000);
  await shutdown;
  const delivered = sinks.reduce((n, sink) => n + sink.stats().delivered, 0);
  const windowS = (window.to - window.from) / 1000;
  const w = service.log.inWindow;
  return {
    goodput: w.events / windowS,
    throttledShare: w.requests ? w.throttled / w.requests : 0,
    requestRate: w.requests / windowS,
    acceptedRate: w.accepted / windowS,
    meanBatch: w.accepted ? w.events / w.accepted : 0,
    p50: percentile(service.log.latenciesMs, 50),
    p99: percentile(service.log.latenciesMs, 99),
    added,
    lost: added - delivered,
    deadLetters,
    drainS: (clock.now() - drainStart) / 1000,
    slots: service.log.slots,
    reports: [...reports],
  };
}

const f = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n) => (n >= 10_000 ? `${f(n / 1000, 1)} s` : `${f(n)} ms`);

async function runScenario(name) {
  const scenario = SCENARIOS[name];
  const results = {};
  for (const adaptive of [true, false]) {
    results[adaptive] = [];
    for (const seed of SEEDS) {
      const begun = process.hrtime.bigint();
      const result = await simulate(scenario, { seed, adaptive });
      results[adaptive].push(result);
      if (args.quiet) continue;
      const { slots, reports, ...figures } = result;
      console.error(`${name}, adaptation ${adaptive ? 'on' : 'off'}, seed ${seed}: ${JSON.stringify(figures)}; ${reports.length} distinct reports; ${(Number(process.hrtime.bigint() - begun) / 1e9).toFixed(1)} s`);
      if (args.trace) {
        for (const [i, slot] of slots.entries()) {
          console.error(`  ${i * 10}–${i * 10 + 10} s: ${f(slot.requests / 10, 1)} requests/s, ${f((slot.throttled / slot.requests) * 100, 1)} % throttled, ${f(slot.events / 10)} events/s`);
        }
      }
    }
  }
  const m = (adaptive, key) => median(results[adaptive].map((r) => r[key]));
  console.log(`\n### ${scenario.title}`);
  console.log(`measured from ${scenario.warmupMs / 1000} s to the end of the load (latency: events added then, until accepted); median of ${SEEDS.length} seeds\n`);
  printTable(
    ['adaptation', 'goodput (events/s)', 'requests/s (accepted)', 'throttled', 'events per accepted request', 'p50 latency', 'p99 latency', 'lost, each seed', 'drain after the load'],
    [true, false].map((adaptive) => [
      adaptive ? 'on' : 'off',
      f(m(adaptive, 'goodput')),
      `${f(m(adaptive, 'requestRate'), 1)} (${f(m(adaptive, 'acceptedRate'), 1)})`,
      `${f(m(adaptive, 'throttledShare') * 100, 1)} %`,
      f(m(adaptive, 'meanBatch'), 1),
      ms(m(adaptive, 'p50')),
      ms(m(adaptive, 'p99')),
      `${results[adaptive].map((r) => f(r.lost)).join(' / ')} of ${f(m(adaptive, 'added'))}${describeLetters(results[adaptive])}`,
      `${f(m(adaptive, 'drainS'))} s`,
    ]),
  );
}

function describeLetters(runs) {
  const codes = [...new Set(runs.flatMap((r) => Object.keys(r.deadLetters)))];
  return codes.length ? ` (${codes.join(', ')})` : '';
}

console.log(`## fleet: many sinks sharing 100 requests/s, on virtual time`);
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; simulated service: token bucket of ${TPS} requests/s (burst ${TPS}), 30–60 ms latency; sink defaults.`);
for (const name of args.scenario.split(',')) await runScenario(name);
