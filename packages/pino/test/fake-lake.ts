import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { EventData } from '../../../test/support/adapter-helpers.js';

/** Starts fixtures/fake-lake.mjs in a worker thread; events arrive as the worker reports them. */
export async function startFakeLake(options: { fail?: Record<string, string>; delayMs?: number } = {}) {
  const worker = new Worker(new URL('./fixtures/fake-lake.mjs', import.meta.url), { workerData: options });
  const events: EventData[] = [];
  const requests: { channelArn: string; count: number }[] = [];
  worker.on('message', (message: { type: string; channelArn: string; count: number; events: string[] }) => {
    if (message.type !== 'request') return;
    requests.push({ channelArn: message.channelArn, count: message.count });
    events.push(...message.events.map((text) => JSON.parse(text) as EventData));
  });
  const [ready] = (await once(worker, 'message')) as [{ port: number }];
  return {
    endpoint: `http://127.0.0.1:${ready.port}`,
    events,
    requests,
    close: () => worker.terminate(),
  };
}

export type FakeLake = Awaited<ReturnType<typeof startFakeLake>>;

/** One fake lake for the test file (started before its first test, closed after its last), emptied before each test. */
export function fakeLakeForFile(options: Parameters<typeof startFakeLake>[0] = {}): FakeLake {
  const lake: FakeLake = { endpoint: '', events: [], requests: [], close: async () => 0 };
  beforeAll(async () => {
    Object.assign(lake, await startFakeLake(options));
  });
  afterAll(() => lake.close());
  beforeEach(() => {
    lake.events.length = 0;
    lake.requests.length = 0;
  });
  return lake;
}
