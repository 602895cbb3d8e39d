// A service that logs its audit trail through pino; delivery runs in pino's worker thread.
// Run: node examples/pino/index.mjs (sends to AUDITLAKE_* or, by default, a local lake).
import pino from 'pino';
import { common, scenario, target } from '@auditlake/example-shared';

const destination = await target();
// Options cross into the worker thread: plain data only.
const transport = pino.transport({ target: '@auditlake/pino', options: { ...common, ...destination.options } });
const logger = pino({ name: 'exports.example' }, transport); // pino's name → eventSource

for (const { level, message, audit } of scenario) logger[level](audit ? { audit } : {}, message);

// end() blocks until the worker has flushed in its close hook: delivered or dead-lettered.
// (A process that just exits gets the same from pino's exit handler.)
transport.end();
console.log('pino example: ended');
await destination.close();
