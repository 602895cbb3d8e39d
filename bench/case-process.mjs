// One bench case in its own process, so that CPU and peak RSS are the whole process's own
// (worker threads and GC helpers included) and no case inherits another's heap.
//
// The parent calls `spawnCase(spec, env)`; the child (this file run as a script) opens the
// client, logs `spec.records` records and reports over IPC:
//   child → { type: 'logged' }     every record has been handed to the logger
//   parent → { type: 'up' }        (outage mode) the endpoint is back: the outage window ends
//   parent → { type: 'finish' }    (outage mode) run the library's shutdown now
//   child → { type: 'result', … }  measurements, after the shutdown resolved
// In burst mode the child shuts down as soon as it has logged.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

export const BENCH_CHANNEL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/bench';
export const BENCH_CREDENTIALS = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' };

/**
 * The environment a case runs in, as a deployed service would have it: auditlake's AUDITLAKE_*
 * variables, AWS credentials, and the CloudWatch Logs endpoint override the AWS SDK reads
 * (the pino CloudWatch transport has no endpoint option). Nothing leaks in from the host's AWS setup.
 */
export function caseEnv({ endpoint, deadLetter, channelArn = BENCH_CHANNEL_ARN, credentials = BENCH_CREDENTIALS }) {
  return {
    AUDITLAKE_ENDPOINT: endpoint,
    AUDITLAKE_CHANNEL_ARN: channelArn,
    AUDITLAKE_DEAD_LETTER: deadLetter,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * Starts a case. `spec`: { client, key, endpoint, records, mode: 'burst' | 'outage', chunk
 * (records per event-loop turn; 0 logs them in one synchronous loop), options, queue }.
 * Returns { logged, result, send }: `logged` resolves when the child has logged everything,
 * `result` with its measurements once it has exited (rejects, with its stderr, on a failure;
 * `error.endedEarly` says so when the process ended by itself before its shutdown resolved).
 */
export function spawnCase(spec, env = {}) {
  // BENCH_CASE_NODE_ARGS: Node flags for each case process, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
  // (NODE_OPTIONS refuses --cpu-prof); summarise with bench/cpu-profile-summary.mjs.
  const nodeArgs = (process.env.BENCH_CASE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, self], {
    env: { ...process.env, ...env, BENCH_CASE: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-16_384);
  });
  let result;
  let progress;
  let resolveLogged;
  const logged = new Promise((resolve) => (resolveLogged = resolve));
  child.on('message', (message) => {
    if (message.type === 'logged') resolveLogged(message);
    if (message.type === 'progress') progress = message;
    if (message.type === 'result') result = message;
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    resolveLogged(undefined);
    if (code === 0 && result) return { ...result, stderr };
    // 13: the child's event loop ran empty while it awaited the library's shutdown (nothing
    // held the process open), so Node ended it with the shutdown's promise still pending.
    const why = code === 13 ? 'ended while its shutdown was still pending (exit 13: nothing held the event loop open)' : `exited with ${code ?? signal}${result ? '' : ' before reporting'}`;
    throw Object.assign(new Error(`case ${spec.client} ${why}:\n${stderr}`), { endedEarly: code === 13 ? why : undefined, progress, stderr });
  });
  return {
    logged,
    result: exited,
    send: (message) => child.connected && child.send(message),
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * The auditlake options of one case: a given `spoolDir` becomes a directory of its own per case,
 * so that no run adopts what an earlier one left behind.
 */
export function caseOptions(options, key) {
  return typeof options.spoolDir === 'string' ? { ...options, spoolDir: join(options.spoolDir, key) } : options;
}

/** The case's result; for a process that ended before its shutdown resolved, what it measured until then plus `endedEarly`. */
export function resultOrEarlyEnd(running) {
  return running.result.catch((error) => {
    if (!error.endedEarly) throw error;
    return { ...error.progress, endedEarly: error.endedEarly, stderr: error.stderr };
  });
}

/**
 * An idle process that only watches its own event loop: what the machine alone does to a loop
 * (scheduling on shared cores), the noise floor under the event-loop figures of the same window.
 * `read()` resolves with the longest delay in ms since the last read, `stop()` ends it.
 */
export function startIdleProbe() {
  const child = spawn(process.execPath, [self], { env: { ...process.env, BENCH_IDLE_PROBE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = once(child, 'message');
  return {
    async read() {
      await ready;
      const reply = once(child, 'message');
      child.send({ type: 'read' });
      const [message] = await reply;
      return message.maxMs;
    },
    stop: () => child.connected && child.disconnect(),
  };
}

function idleProbe() {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('message', () => {
    process.send({ maxMs: histogram.max / 1e6 });
    histogram.reset();
  });
  process.send({ type: 'ready' });
}

function nextMessage(type) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
  });
}

async function logAll(client, records, chunk) {
  if (chunk <= 0) {
    for (let i = 0; i < records; i++) client.log(i);
    return;
  }
  // As a service logs: a few records per request, other work in between.
  for (let i = 0; i < records; ) {
    const end = Math.min(records, i + chunk);
    for (; i < end; i++) client.log(i);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main() {
  const spec = JSON.parse(process.env.BENCH_CASE);
  const { openClient } = await import('./clients.mjs');
  const client = await openClient(spec.client, { key: spec.key, endpoint: spec.endpoint, options: spec.options ?? {}, queue: spec.queue });
  await client.ready;
  const baselineRss = process.memoryUsage().rss;
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  const started = performance.now();
  histogram.enable();
  await logAll(client, spec.records, spec.chunk ?? 0);
  const loggedMs = performance.now() - started;
  process.send({ type: 'logged', loggedMs });
  let outageBlockMs;
  if (spec.mode === 'outage') {
    await nextMessage('up');
    outageBlockMs = histogram.max / 1e6;
    histogram.reset();
    await nextMessage('finish');
  }
  const measured = () => {
    const cpu = process.cpuUsage(cpuBefore);
    return {
      cpuUs: cpu.user + cpu.system,
      wallMs: performance.now() - started,
      loggedMs,
      baselineRss,
      peakRss: process.resourceUsage().maxRSS * 1024,
      // Pages of new memory touched: on a virtual machine each can cost microseconds (about 11 µs on the README's host).
      minorFaults: process.resourceUsage().minorPageFault - faultsBefore,
      outageBlockMs,
      // In outage mode: from the endpoint's return to the end of the shutdown; in burst mode: the whole run.
      blockMs: histogram.max / 1e6,
    };
  };
  // What is known before the shutdown, in case the process ends before the shutdown resolves.
  process.send({ type: 'progress', ...measured() });
  await client.end();
  histogram.disable();
  process.send({ type: 'result', ...measured() });
  process.disconnect();
}

if (process.argv[1] === self) {
  if (process.env.BENCH_IDLE_PROBE) idleProbe();
  else await main();
}
