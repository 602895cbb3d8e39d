/**
 * SQL over CloudWatch Logs: one table per log group, named by the group's name (quoted where
 * it is not a bare word: `FROM "/app/audit"`), with the columns of a FilteredLogEvent and the
 * message twice: as written (`rawMessage`) and parsed as an integration-schema event where it is
 * a JSON object (`message`, so that `SELECT message.eventName …` reads an audit event as
 * `eventData.eventName` reads it in an event data store).
 *
 * SQL names are case-insensitive and log group names are not: of groups whose names differ only
 * in case (or equal an event data store id), the oldest keeps the name and the others are
 * `<name>:2`, `<name>:3`, … (`:` cannot occur in a group name).
 */
import { join } from 'node:path';
import { LOG_FILE } from '../event-log.js';
import { sqlString } from '../source-tables.js';
import { COLUMNAR_DIR, type TableSource } from '../table-sources.js';
import { INTEGRATION_EVENT_DATA, INTEGRATION_EVENT_DATA_TYPE, readFramed, structure, type TableSchema } from '../table-schemas.js';
import type { LogCatalog, LogGroupInfo } from './log-catalog.js';

/**
 * Retention of a group whose events never expire. Events are cut by their own timestamp (as
 * the service expires them), and this is old enough for any event the lake could have taken.
 */
const NEVER_EXPIRES_DAYS = 36_525;

const LOG_RECORD_TYPE = 'STRUCT(seq BIGINT, logStreamName VARCHAR, streamId VARCHAR, timestamp BIGINT, ingestionTime BIGINT, message VARCHAR)';

/** The table of one log group; `logGroupName` is a column too, for UNION ALL across groups. */
function logGroupSchema(groupName: string): TableSchema {
  return {
    kind: 'logs',
    tableColumns:
      '__seq BIGINT, __ingested TIMESTAMP, logGroupName VARCHAR, logStreamName VARCHAR, timestamp TIMESTAMP, ingestionTime TIMESTAMP, eventId VARCHAR, ' +
      `message ${INTEGRATION_EVENT_DATA_TYPE}, rawMessage VARCHAR`,
    publicColumns: 'logGroupName, logStreamName, timestamp, ingestionTime, eventId, message, rawMessage',
    stageSelect(file, maxLineBytes) {
      return (
        `SELECT seq, event_time, ${sqlString(groupName)}, record.logStreamName, event_time, epoch_ms(record.ingestionTime), CAST(seq AS VARCHAR), ` +
        // try(): a message that is not JSON, or not an object, is NULL here and stays whole in rawMessage.
        `CASE WHEN try(json_type(record.message)) = 'OBJECT' THEN try(json_transform(record.message, '${structure(INTEGRATION_EVENT_DATA)}')) END, record.message ` +
        `FROM (SELECT record, record.seq AS seq, epoch_ms(record.timestamp) AS event_time ` +
        `FROM ${readFramed(file, maxLineBytes, LOG_RECORD_TYPE)} WHERE record.seq IS NOT NULL AND record.message IS NOT NULL)`
      );
    },
  };
}

/** The log groups as SQL tables; `taken` are the names already used (event data store ids). */
export function logGroupSources(logs: LogCatalog, taken: readonly string[]): TableSource[] {
  const used = new Set(taken.map((name) => name.toLowerCase()));
  const groups = [...logs.logGroups].sort((a, b) => a.creationTime - b.creationTime || (a.name < b.name ? -1 : 1));
  return groups.map((group) => {
    const name = tableName(group, used);
    used.add(name.toLowerCase());
    return {
      name,
      schema: logGroupSchema(group.name),
      logPath: join(logs.groupDir(group), LOG_FILE),
      identity: logs.identity(group),
      columnarDir: join(logs.dataDir, COLUMNAR_DIR, group.id),
      retentionDays: group.retentionInDays ?? NEVER_EXPIRES_DAYS,
    };
  });
}

function tableName(group: LogGroupInfo, used: ReadonlySet<string>): string {
  if (!used.has(group.name.toLowerCase())) return group.name;
  for (let n = 2; ; n++) if (!used.has(`${group.name}:${n}`.toLowerCase())) return `${group.name}:${n}`;
}
