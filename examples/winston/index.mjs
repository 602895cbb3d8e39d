// A service that logs its audit trail through winston.
// Run: node examples/winston/index.mjs (sends to AUDITLAKE_* or, by default, a local lake).
import { once } from 'node:events';
import winston from 'winston';
import AuditLakeTransport from '@auditlake/winston';
import { common, scenario, target } from '@auditlake/example-shared';

const destination = await target();
const auditlake = new AuditLakeTransport({ ...common, ...destination.options, eventSource: 'accounts.example' });
auditlake.on('warn', (warning) => console.warn(warning.message));
const logger = winston.createLogger({
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [auditlake],
});
const requestLogger = logger.child({ requestId: 'req-42' }); // child metadata travels along

for (const { level, message, audit } of scenario) requestLogger.log(level, message, audit ? { audit } : {});

logger.end(); // 'finish' comes only after delivery
await once(logger, 'finish');
console.log('winston example:', JSON.stringify(auditlake.stats()));
await destination.close();
