// A fleet that shares the service's quota, on virtual time: many real sinks (createAuditSink with
// a shared virtual clock) send to a simulated PutAuditEvents in this process that allows 100
// requests/s per account (a token bucket with a burst of 100, as the local lake's maxTps) and
// answers a request beyond it with ThrottlingException (HTTP 400, "Rate exceeded"), after a
// latency of 30–60 ms. Everything the sinks do is real (batching, pacing, retries, dead letters)
// except the network. Each scenario runs with several seeds (arrival phases, latencies, jitter);
// the tables show medians.
//
// `node bench/fleet.mjs [--seeds 3] [--scenario ceiling|thousand|under|all]` (after `pnpm run build`).
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createAuditSink } from '@auditlake/core';
import { createVirtualClock } from '@auditlake/core/internal';
import { median, percentile, printTable } from './table.mjs';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    scenario: { type: 'string', default: 'all' },
    quiet: { type: 'boolean', default: false },
    // A scenario of your own: `--senders 50 --rate 240 --seconds 60`.
    senders: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '60' },
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
  // 10 senders × 100 events/s: well under the quota; the adaptation must cost nothing.
  under: { title: '10 senders × 100 events/s (under the quota) for 60 s', senders: 10, eventsPerSecond: 100, durationMs: 60_000, warmupMs: 5_000 },
};

/** A seeded source of numbers in [0, 1) for the simulation's own draws (mulberry32). */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PutAuditEvents with the account's request quota, on the virtual clock. */
function simulatedService(clock, random, window) {
  let tokens = TPS;
  let at = clock.now();
  const log = { trace: [], requests: 0, throttled: 0, accepted: 0, events: 0, latenciesMs: [], inWindow: { requests: 0, throttled: 0, accepted: 0, events: 0 } };
  const send = (input) => {
    const now = clock.now();
    tokens = Math.min(TPS, tokens + ((now - at) * TPS) / 1000);
    at = now;
    const admitted = tokens >= 1;
    if (admitted) tokens -= 1;
    const counted = now >= window.from && now < window.to;
    if (process.env.FLEET_TRACE) {
      const slot = Math.floor((now - window.start) / 10_000);
      const row = (log.trace[slot] ??= { requests: 0, throttled: 0, events: 0, senders: new Set(), per: new Map() });
      const who = input.auditEvents[0].eventData.slice(input.auditEvents[0].eventData.indexOf('user-'), input.auditEvents[0].eventData.indexOf('user-') + 9);
      row.per.set(who, (row.per.get(who) ?? 0) + (admitted ? 1 : 0));
      row.requests++;
      if (!admitted) row.throttled++;
      else row.events += input.auditEvents.length;
      row.senders.add(input.auditEvents[0].eventData.slice(input.auditEvents[0].eventData.indexOf('user-'), input.auditEvents[0].eventData.indexOf('user-') + 9));
    }
    log.requests++;
    if (counted) log.inWindow.requests++;
    return new Promise((resolve, reject) => {
      clock.setTimeout(() => {
        if (!admitted) {
          log.throttled++;
          if (counted) log.inWindow.throttled++;
          reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
          return;
        }
        const done = clock.now();
        log.accepted++;
        log.events += input.auditEvents.length;
        if (counted) {
          log.inWindow.accepted++;
          log.inWindow.events += input.auditEvents.length;
        }
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
  const random = seeded(seed * 7919);
  const start = clock.now();
  const window = { start, from: start + scenario.warmupMs, to: start + scenario.durationMs };
  const service = simulatedService(clock, random, window);
  const deadLetters = {};
  const warnings = new Set();
  const sinks = Array.from({ length: scenario.senders }, () =>
    createAuditSink({
      channelArn: CHANNEL_ARN,
      clock,
      send: service.send,
      adaptiveRate: adaptive,
      deadLetter: (letter) => {
        deadLetters[letter.reason.code] = (deadLetters[letter.reason.code] ?? 0) + 1;
        if (process.env.FLEET_TRACE) console.error(`dead letter at ${(clock.now() - start) / 1000}s, added at ${(addedAtOf(letter.event.eventData) - start) / 1000}s after ${letter.attempts} attempts: ${letter.reason.message.slice(0, 160)}`);
      },
      diagnostics: { debug: () => {}, warn: (message) => void warnings.add(message.slice(0, 120)), error: (message) => void warnings.add(message.slice(0, 120)) },
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
      while (next[i] < until) {
        sinks[i].add(record(i, Math.floor(next[i])));
        next[i] += interval;
        added++;
      }
    }
    await clock.advance(TICK_MS);
  }
  // Drain: no more events, until every sink has settled everything (or shutdown gives up).
  const drainStart = clock.now();
  while (sinks.some((sink) => sink.stats().queuedEvents + sink.stats().inFlightEvents > 0) && clock.now() - drainStart < 600_000) await clock.advance(1000);
  let closed = false;
  const shutdown = Promise.all(sinks.map((sink) => sink.shutdown())).then(() => (closed = true));
  while (!closed) await clock.advance(1000);
  await shutdown;
  if (process.env.FLEET_TRACE) for (const [i, row] of service.log.trace.entries()) console.error(`${i * 10}s req/s ${row.requests / 10} throttled ${(row.throttled / row.requests * 100).toFixed(1)}% events/s ${row.events / 10} senders ${row.senders.size} accepted per sender min ${Math.min(...row.per.values())} (${[...row.per].sort((a, b) => a[1] - b[1]).slice(0, 3).map(([k, v]) => k + "=" + v).join(" ")}) median ${median([...row.per.values()])} max ${Math.max(...row.per.values())}`);
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
    delivered,
    lost: added - delivered,
    deadLetters,
    drainS: (clock.now() - drainStart) / 1000,
    warnings: [...warnings],
  };
}

async function runScenario(name, modes) {
  const scenario = SCENARIOS[name];
  const results = {};
  for (const adaptive of modes) {
    results[adaptive] = [];
    for (const seed of SEEDS) {
      const begun = process.hrtime.bigint();
      const result = await simulate(scenario, { seed, adaptive });
      results[adaptive].push(result);
      if (!args.quiet) {
        const seconds = (Number(process.hrtime.bigint() - begun) / 1e9).toFixed(1);
        console.error(`${name} adaptive=${adaptive} seed=${seed}: ${JSON.stringify({ ...result, warnings: result.warnings.length })} (${seconds} s)`);
      }
    }
  }
  const m = (adaptive, key) => median(results[adaptive].map((r) => r[key]));
  const f = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const ms = (n) => (n >= 10_000 ? `${f(n / 1000, 1)} s` : `${f(n)} ms`);
  console.log(`\n### ${scenario.title}`);
  console.log(`measured from ${scenario.warmupMs / 1000} s to the end of the load; median of ${SEEDS.length} seeds\n`);
  printTable(
    ['adaptation', 'goodput (events/s)', 'requests/s (accepted)', 'throttled', 'mean batch', 'p50 latency', 'p99 latency', 'lost (dead letters)'],
    modes.map((adaptive) => [
      adaptive ? 'on' : 'off',
      f(m(adaptive, 'goodput')),
      `${f(m(adaptive, 'requestRate'), 1)} (${f(m(adaptive, 'acceptedRate'), 1)})`,
      `${f(m(adaptive, 'throttledShare') * 100, 1)} %`,
      f(m(adaptive, 'meanBatch'), 1),
      ms(m(adaptive, 'p50')),
      ms(m(adaptive, 'p99')),
      `${f(m(adaptive, 'lost'))} of ${f(m(adaptive, 'added'))}${describeLetters(results[adaptive])}`,
    ]),
  );
  return results;
}

function describeLetters(runs) {
  const codes = new Set(runs.flatMap((r) => Object.keys(r.deadLetters)));
  return codes.size ? ` (${[...codes].map((code) => `${code} ${median(runs.map((r) => r.deadLetters[code] ?? 0))}`).join(', ')})` : '';
}

console.log(`## fleet: many sinks sharing 100 requests/s, on virtual time`);
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; simulated service: token bucket of ${TPS} requests/s (burst ${TPS}), 30–60 ms latency; sink defaults.`);
if (args.senders !== undefined) {
  const [senders, eventsPerSecond, seconds] = [Number(args.senders), Number(args.rate ?? 1), Number(args.seconds)];
  SCENARIOS.custom = { title: `${senders} senders × ${eventsPerSecond} events/s for ${seconds} s`, senders, eventsPerSecond, durationMs: seconds * 1000, warmupMs: Math.min(60_000, (seconds * 1000) / 3) };
  args.scenario = 'custom';
}
const chosen = args.scenario === 'all' ? Object.keys(SCENARIOS) : args.scenario.split(',');
for (const name of chosen) await runScenario(name, [true, false]);
