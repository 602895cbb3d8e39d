/**
 * CloudWatch Logs (2014-03-28 model) over awsJson1_1: `POST /` with `X-Amz-Target:
 * Logs_20140328.<Operation>`, signed for `logs`; the ingestion and reading operations a user
 * of the CloudWatch Logs destination needs, with the model's shapes, limits and error names.
 */
import { LOGS_TARGET_PREFIX } from '@auditlake/core/internal';
import { operationNames, operationTable, type JsonService } from '../aws-json-dispatch.js';
import type { LogsContext } from './context.js';
import { filterLogEventsOperations } from './filter-log-events.js';
import { getLogEventsOperations } from './get-log-events.js';
import { logGroupOperations } from './log-groups.js';
import { logStreamOperations } from './log-streams.js';
import { putLogEventsOperations } from './put-log-events.js';

export type { LogsContext } from './context.js';

/** The data-plane call of the Logs API, the one fault injection acts on (as on PutAuditEvents). */
export const PUT_LOG_EVENTS = 'PutLogEvents';

/**
 * The largest request body read. The service limits the messages (1,048,576 bytes with 26 per
 * event), not the JSON around them: 10,000 events add about 400 KB of keys and timestamps, and
 * escapes can make a message's JSON up to six times its size.
 */
export const LOGS_MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024;

export const LOGS_SERVICE: JsonService<LogsContext> = Object.freeze({
  signingName: 'logs',
  targetPrefixes: [`${LOGS_TARGET_PREFIX}.`],
  operations: operationTable<LogsContext>({
    ...logGroupOperations,
    ...logStreamOperations,
    ...putLogEventsOperations,
    ...getLogEventsOperations,
    ...filterLogEventsOperations,
  }),
});

/** Names of the CloudWatch Logs operations the local lake implements. */
export const LOGS_OPERATIONS = operationNames(LOGS_SERVICE.operations);
