// A small accounts service that writes its audit trail through winston into AWS CloudTrail Lake.
//
// Run: npm install && node index.mjs
// With AUDITLAKE_CHANNEL_ARN (CloudTrail Lake), or AUDITLAKE_LOG_GROUP and AWS_REGION (CloudWatch
// Logs), set (and AWS credentials from the usual chain) it sends there. Without, it starts a
// local lake in this process (@auditlake/local), sends to it, and shows what arrived. This
// directory is a complete project: copy it anywhere.
import { once } from 'node:events';
import winston from 'winston';
import AuditLakeTransport from '@auditlake/winston';

const lake = process.env.AUDITLAKE_CHANNEL_ARN || process.env.AUDITLAKE_LOG_GROUP ? undefined : await (await import('@auditlake/local')).startLocalLake({ quiet: true });
const destination = lake ? { channelArn: lake.channelArn, endpoint: lake.endpoint, credentials: lake.credentials } : {};
// The spool keeps every accepted event on disk until it is delivered: a crash, an exit or an
// outage loses nothing, and the next run sends what this one left. (AUDITLAKE_SPOOL_DIR overrides it.)
const spoolDir = process.env.AUDITLAKE_SPOOL_DIR ?? '.auditlake/spool';

const auditlake = new AuditLakeTransport({
  ...destination,
  spoolDir,
  eventSource: 'accounts.example',
  redact: ['requestParameters.password'], // never leaves the process
});
auditlake.on('warn', (warning) => console.warn(warning.message)); // delivery problems; never 'error'
const logger = winston.createLogger({
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [auditlake],
});
const request = logger.child({ requestId: 'req-42' }); // child metadata travels along

// A record is an audit event when it carries `audit`, in CloudTrail Lake's own field names.
request.info('alice signed in', { audit: { eventName: 'SignIn', userIdentity: { principalId: 'alice' }, sourceIPAddress: '198.51.100.7', responseElements: { mfa: true } } });
request.info('bob signed in', { audit: { eventName: 'SignIn', userIdentity: { principalId: 'bob' }, sourceIPAddress: '198.51.100.23', responseElements: { mfa: false } } });
request.warn('sign-in failed', { audit: { eventName: 'SignIn', userIdentity: { principalId: 'mallory' }, sourceIPAddress: '203.0.113.66', errorCode: 'InvalidPassword', errorMessage: 'wrong password' } });
request.info('password changed', { audit: { eventName: 'ChangePassword', userIdentity: { principalId: 'alice' }, requestParameters: { password: 'hunter2' } } });
request.info('role granted', { audit: { eventName: 'UpdateRoleBinding', userIdentity: { principalId: 'alice' }, requestParameters: { role: 'admin', member: 'bob' } } });
request.warn('account deletion denied', { audit: { eventName: 'DeleteAccount', userIdentity: { principalId: 'carol' }, errorCode: 'AccessDenied', errorMessage: 'carol may not delete accounts' } });
request.info('health check ok'); // not an audit event: skipped
request.info('audit record without an actor', { audit: { eventName: 'RotateKey' } }); // dead-lettered: FieldNotFound

logger.end(); // 'finish' comes only after every record is delivered or dead-lettered
await once(logger, 'finish');
console.log('winston example:', JSON.stringify(auditlake.stats()));

if (lake) {
  console.table(await lake.query(`SELECT eventData.userIdentity.principalId AS principal, eventData.eventName AS action, eventData.errorCode AS error FROM ${lake.eventDataStoreId} ORDER BY eventData.eventTime, principal`));
  await lake.close();
}
